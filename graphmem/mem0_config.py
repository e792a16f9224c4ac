"""mem0's configuration dict read as graphmem's settings, for Memory.from_config(config_dict).

mem0 users configure with a nested dict (graph_store, llm, embedder, reranker, version,
custom prompts). Every key that maps becomes a graphmem setting; what graphmem does without
being told (its vectors live in Neo4j beside the graph) is accepted when it asks for nothing
else; sampling knobs (temperature, max_tokens...) are accepted and not used, since graphmem
extracts deterministically at temperature 0. A key that does not map is refused, all of
them in one ConfigError, each named with what to use in graphmem instead. What the dict
leaves out comes from graphmem's own settings (GRAPHMEM_*, the config file, defaults),
not from mem0's defaults. docs/migrating-from-mem0.md lists every key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from graphmem.errors import ConfigError

if TYPE_CHECKING:
    from graphmem.memory import Memory

MemoryT = TypeVar("MemoryT", bound="Memory")

# LLM and embedder options that only tune sampling or transport: accepted, not used.
SAMPLING = frozenset(
    {"temperature", "max_tokens", "top_p", "top_k", "reasoning_effort", "enable_vision"}
)
# mem0's OpenAI-compatible LLM providers and the key holding each one's base URL.
OPENAI_COMPATIBLE = {
    "openai": "openai_base_url",
    "lmstudio": "lmstudio_base_url",
    "vllm": "vllm_base_url",
}
NEO4J_KEYS = {
    "url": "neo4j_uri",
    "username": "neo4j_user",
    "password": "neo4j_password",
    "database": "neo4j_database",
}
# mem0's model for a provider its config names without one: what that config meant.
MEM0_DEFAULT_MODELS = {
    ("llm", "openai"): "gpt-4.1-nano-2025-04-14",
    ("llm", "ollama"): "llama3.1:70b",
    ("embedder", "openai"): "text-embedding-3-small",
    ("embedder", "ollama"): "nomic-embed-text",
    ("embedder", "huggingface"): "sentence-transformers/multi-qa-MiniLM-L6-cos-v1",
}
LLM_EQUIVALENT = (
    "graphmem's llm providers are ollama, openai (any OpenAI-compatible server) and langchain"
)
EMBEDDER_EQUIVALENT = (
    "graphmem's embedders are ollama, openai (any OpenAI-compatible server) and huggingface "
    "(a sentence-transformers ONNX export run locally)"
)


@dataclass
class Mapped:
    """What a mem0 config says, in graphmem's terms."""

    settings: dict[str, Any] = field(default_factory=dict)
    embedding_dims: int | None = None
    chat_model: Any = None  # a LangChain chat model (llm provider "langchain")
    reranker_llm: str | None = None  # the LLM provider an llm_reranker asks for
    problems: list[str] = field(default_factory=list)

    def refuse(self, key: str, why: str) -> None:
        self.problems.append(f"{key}: {why}")


def from_mem0(config: Mapping[str, Any]) -> Mapped:
    """The graphmem settings a mem0 config dict stands for; ConfigError listing every key
    that does not map (and what to use instead)."""
    if not isinstance(config, Mapping):
        raise ConfigError(f"a mem0 config must be a dict, not {type(config).__name__}")
    mapped = Mapped()
    for key, value in config.items():
        section = _SECTIONS.get(key)
        if section is None:
            mapped.refuse(
                key, "not a mem0 setting graphmem knows (`graphmem config show` lists its own)"
            )
        else:
            section(value, mapped)
    graph_llm = (
        config["graph_store"].get("llm") if isinstance(config.get("graph_store"), Mapping) else None
    )
    if graph_llm and "llm" not in config:
        _llm(graph_llm, mapped, "graph_store.llm")
    elif graph_llm and graph_llm != config["llm"]:
        mapped.refuse("graph_store.llm", "graphmem uses one LLM for everything: keep only llm")
    llm_provider = (config.get("llm") or graph_llm or {}).get("provider", "openai")
    if mapped.reranker_llm not in (None, llm_provider):
        mapped.refuse(
            "reranker.config.provider",
            f"{mapped.reranker_llm!r}: graphmem's LLM reranker goes through the configured "
            f"llm provider ({llm_provider!r}); give only model (reranker_model)",
        )
    if mapped.problems:
        raise ConfigError(
            "this mem0 configuration does not map onto graphmem:\n- " + "\n- ".join(mapped.problems)
        )
    return mapped


# -- sections ---------------------------------------------------------------------------


def _graph_store(value: Any, mapped: Mapped) -> None:
    section = _section(value, "graph_store", mapped)
    if section is None:
        return
    provider = section.get("provider", "neo4j")
    if provider != "neo4j":
        mapped.refuse(
            "graph_store.provider",
            f"{provider!r}: graphmem runs on Neo4j only (5.26 LTS or newer); use provider neo4j",
        )
    config = section.get("config") or {}
    for key, setting_value in _items(config, "graph_store.config", mapped):
        if key in NEO4J_KEYS:
            mapped.settings[NEO4J_KEYS[key]] = setting_value
        elif key != "base_label":  # graphmem labels every entity :Entity and by its type
            mapped.refuse(
                f"graph_store.config.{key}", "not a Neo4j connection setting graphmem has"
            )
    for key, setting_value in section.items():
        if key == "threshold":
            mapped.settings["similarity_threshold"] = setting_value
        elif key == "custom_prompt" and setting_value:
            _instructions(setting_value, mapped)
        elif key not in ("provider", "config", "llm", "custom_prompt"):  # llm: from_mem0
            mapped.refuse(f"graph_store.{key}", "not a graph_store setting graphmem has")


def _llm(value: Any, mapped: Mapped, where: str = "llm") -> None:
    section = _section(value, where, mapped)
    if section is None:
        return
    provider = section.get("provider", "openai")
    config = dict(section.get("config") or {})
    if provider == "langchain":
        mapped.chat_model = config.pop("model", None)
        if mapped.chat_model is None:
            mapped.refuse(
                f"{where}.config.model", "the langchain provider needs a chat model object"
            )
        mapped.settings["llm_provider"] = "langchain"
    elif provider == "ollama":
        mapped.settings["llm_provider"] = "ollama"
        _rename(config, {"ollama_base_url": "llm_base_url"}, mapped)
        config.pop("api_key", None)  # Ollama takes none
    elif provider in OPENAI_COMPATIBLE:
        mapped.settings["llm_provider"] = "openai"
        _rename(
            config, {OPENAI_COMPATIBLE[provider]: "llm_base_url", "api_key": "llm_api_key"}, mapped
        )
    else:
        mapped.refuse(f"{where}.provider", f"{provider!r}: {LLM_EQUIVALENT}")
        return
    model = config.pop("model", MEM0_DEFAULT_MODELS.get(("llm", provider)))
    if model is not None and provider != "langchain":
        mapped.settings["llm_model"] = model
    for key in config:
        if key not in SAMPLING | {"vision_details"}:
            mapped.refuse(f"{where}.config.{key}", f"not an option of graphmem's {provider} LLM")


def _embedder(value: Any, mapped: Mapped) -> None:
    section = _section(value, "embedder", mapped)
    if section is None:
        return
    provider = section.get("provider", "openai")
    config = dict(section.get("config") or {})
    if "embedding_dims" in config:
        mapped.embedding_dims = config.pop("embedding_dims")
    if provider == "ollama":
        mapped.settings["embedder_provider"] = "ollama"
        _rename(config, {"ollama_base_url": "embedder_base_url"}, mapped)
    elif provider in ("openai", "lmstudio"):
        mapped.settings["embedder_provider"] = "openai"
        base = "openai_base_url" if provider == "openai" else "lmstudio_base_url"
        _rename(config, {base: "embedder_base_url", "api_key": "embedder_api_key"}, mapped)
    elif provider in ("huggingface", "fastembed"):
        _local_embedder(config, mapped)
    else:
        mapped.refuse("embedder.provider", f"{provider!r}: {EMBEDDER_EQUIVALENT}")
        return
    model = config.pop("model", MEM0_DEFAULT_MODELS.get(("embedder", provider)))
    if model is not None:
        mapped.settings["embedder_model"] = model
    for key in config:
        mapped.refuse(f"embedder.config.{key}", f"not an option of graphmem's {provider} embedder")


def _local_embedder(config: dict[str, Any], mapped: Mapped) -> None:
    """huggingface: a TEI server (huggingface_base_url, OpenAI-compatible) or a local model
    (a sentence-transformers name, downloaded once as ONNX, or a folder)."""
    if config.get("huggingface_base_url"):
        mapped.settings["embedder_provider"] = "openai"
        _rename(config, {"huggingface_base_url": "embedder_base_url"}, mapped)
        return
    config.pop("huggingface_base_url", None)
    mapped.settings["embedder_provider"] = "local"
    model = config.get("model")
    if isinstance(model, str) and Path(model).expanduser().is_dir():
        mapped.settings["embedder_path"] = Path(model).expanduser()
    elif isinstance(model, str) and "/" not in model:
        # sentence-transformers resolves a bare name in its own hub organisation.
        config["model"] = f"sentence-transformers/{model}"
    if "model_kwargs" in config:
        config.pop("model_kwargs")
        mapped.refuse(
            "embedder.config.model_kwargs",
            "graphmem runs the model's ONNX export with onnxruntime (no sentence-transformers, "
            "no torch): give model as a hub name or a folder with model.onnx and tokenizer.json",
        )


def _vector_store(value: Any, mapped: Mapped) -> None:
    section = _section(value, "vector_store", mapped)
    if section is None:
        return
    config = section.get("config") or {}
    if section.get("provider") is None and set(config) <= {"embedding_model_dims"}:
        if "embedding_model_dims" in config:  # what mem0 derives from embedder.embedding_dims
            mapped.embedding_dims = mapped.embedding_dims or config["embedding_model_dims"]
        return
    mapped.refuse(
        "vector_store",
        "graphmem keeps memories and their vectors in Neo4j (graph_store), in native vector "
        "indexes, so there is no separate vector store: remove this section (memories already "
        "in it move over with Memory.add_facts or `graphmem import`)",
    )


def _reranker(value: Any, mapped: Mapped) -> None:
    section = _section(value, "reranker", mapped)
    if section is None:
        return
    provider = section.get("provider", "cohere")
    config = dict(section.get("config") or {})
    # graphmem's search top_k decides how many are kept; the rest tune the model's runtime.
    for key in ("top_k", "temperature", "max_tokens", "max_length", "device", "batch_size"):
        config.pop(key, None)
    config.pop("api_key", None)  # the LLM reranker uses the llm's key
    if provider == "llm_reranker":
        mapped.settings["reranker_provider"] = "llm"
        if "model" in config:
            mapped.settings["reranker_model"] = config.pop("model")
        mapped.reranker_llm = config.pop("provider", None)
        if config.pop("llm", None) is not None:
            mapped.refuse(
                "reranker.config.llm",
                "graphmem's LLM reranker goes through the configured llm provider; "
                "give only model (reranker_model)",
            )
        if config.pop("scoring_prompt", None) is not None:
            mapped.refuse(
                "reranker.config.scoring_prompt",
                "graphmem ranks all candidates in one call with prompts/rerank.v1.md "
                "(mem0 scored each memory in a call of its own); remove it",
            )
    elif provider in ("sentence_transformer", "huggingface"):
        model = config.pop("model", None)
        folder = Path(model).expanduser() if isinstance(model, str) else None
        if folder is None or not (folder / "tokenizer.json").is_file():
            mapped.refuse(
                "reranker.config.model",
                "graphmem runs cross-encoders with onnxruntime from a local folder holding "
                "model.onnx and tokenizer.json (e.g. `optimum-cli export onnx --model "
                "cross-encoder/ms-marco-MiniLM-L6-v2 DIR`): set model to that folder",
            )
        else:
            mapped.settings["reranker_provider"] = "cross_encoder"
            mapped.settings["reranker_path"] = folder
    else:
        mapped.refuse(
            "reranker.provider",
            f"{provider!r}: graphmem reranks with llm_reranker (the configured LLM, one call "
            "per search) or a local ONNX cross-encoder (sentence_transformer / huggingface)",
        )
        return
    for key in config:
        mapped.refuse(f"reranker.config.{key}", f"not an option of graphmem's {provider}")


def _version(value: Any, mapped: Mapped) -> None:
    if value != "v1.1":
        mapped.refuse(
            "version", f"{value!r}: graphmem answers in mem0's v1.1 shape ({{'results': ...}})"
        )


def _instructions(value: Any, mapped: Mapped, setting: str = "extraction_instructions") -> None:
    """mem0's custom prompts become instructions added to graphmem's prompt (which keeps its
    own JSON contract); two of them for one prompt are joined."""
    if value is None:
        return
    known = mapped.settings.get(setting)
    mapped.settings[setting] = f"{known}\n\n{value}" if known else value


def _history_db_path(value: Any, mapped: Mapped) -> None:
    mapped.refuse(
        "history_db_path",
        "graphmem keeps each memory's change log in Neo4j beside it (Memory.history); "
        "remove the key",
    )


def _enable_graph(value: Any, mapped: Mapped) -> None:
    if value is not True:
        mapped.refuse("enable_graph", "graphmem is graph memory: it cannot be turned off")


_SECTIONS: dict[str, Callable[[Any, Mapped], None]] = {
    "graph_store": _graph_store,
    "llm": _llm,
    "embedder": _embedder,
    "vector_store": _vector_store,
    "reranker": _reranker,
    "version": _version,
    "custom_fact_extraction_prompt": _instructions,
    "custom_instructions": _instructions,
    "custom_update_memory_prompt": lambda v, m: _instructions(v, m, "resolution_instructions"),
    "history_db_path": _history_db_path,
    "enable_graph": _enable_graph,
}


# -- helpers ------------------------------------------------------------------------------


def _section(value: Any, where: str, mapped: Mapped) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        mapped.refuse(where, f"must be a dict with provider and config, not {type(value).__name__}")
        return None
    return value


def _items(config: Any, where: str, mapped: Mapped) -> list[tuple[str, Any]]:
    if not isinstance(config, Mapping):
        mapped.refuse(where, "must be a dict")
        return []
    return list(config.items())


def _rename(config: dict[str, Any], names: Mapping[str, str], mapped: Mapped) -> None:
    for theirs, ours in names.items():
        if theirs in config:
            value = config.pop(theirs)
            if value is not None:
                mapped.settings[ours] = value


def refuse_config_object(settings: object, overrides: Mapping[str, Any]) -> None:
    """A ConfigError for mem0's other way of passing its config, Memory(config=MemoryConfig(
    ...)) or Memory(config_dict): graphmem takes mem0's config dict through from_config."""
    from graphmem.config import Settings

    given = overrides.get("config", settings)
    if given is None or isinstance(given, Settings):
        return
    raise ConfigError(
        "Memory(config=...) is mem0's: pass mem0's config dict to "
        "Memory.from_config(config_dict) (or AsyncMemory.from_config), or graphmem settings "
        "as Memory(Settings(...)) or keyword arguments (Memory(llm_model=...))"
    )


def build(cls: type[MemoryT], config: Mapping[str, Any]) -> MemoryT:
    """A Memory (or subclass) from a mem0 config dict: settings, the embedder (checked
    against embedding_dims) and, for mem0's langchain provider, its chat model."""
    from graphmem.config import load_settings
    from graphmem.embed import get_embedder

    mapped = from_mem0(config)
    settings = load_settings(**mapped.settings)
    embedder = get_embedder(settings)
    dims = mapped.embedding_dims
    if dims is not None and dims != embedder.dimension:
        embedder.close()
        raise ConfigError(
            f"embedder.config.embedding_dims is {dims}, but {embedder.model} makes "
            f"{embedder.dimension}-dimensional vectors: graphmem sizes its vector indexes "
            "from the embedder itself, so remove embedding_dims or choose the model you meant"
        )
    llm = None
    if mapped.chat_model is not None:
        from graphmem.llm.langchain import LangChainLLM

        llm = LangChainLLM(mapped.chat_model)
    return cls(settings, embedder=embedder, llm=llm)
