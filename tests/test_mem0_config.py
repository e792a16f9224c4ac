"""mem0's configuration dict read as graphmem's settings (graphmem/mem0_config.py): what
maps, what is accepted without effect, and what is refused, every key named with
graphmem's equivalent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphmem import AsyncMemory, Memory
from graphmem.errors import ConfigError
from graphmem.mem0_config import from_mem0

GRAPH = {
    "provider": "neo4j",
    "config": {"url": "bolt://db:7687", "username": "neo4j", "password": "pw"},
}


def test_what_maps() -> None:
    mapped = from_mem0(
        {
            "graph_store": {
                **GRAPH,
                "threshold": 0.8,
                "config": {**GRAPH["config"], "database": "mem"},
            },
            "llm": {
                "provider": "openai",
                "config": {
                    "model": "gpt-4o-mini",
                    "api_key": "sk-test",
                    "openai_base_url": "http://llm:8000/v1",
                    "temperature": 0.2,
                    "max_tokens": 2000,
                },
            },
            "embedder": {
                "provider": "ollama",
                "config": {
                    "model": "nomic-embed-text",
                    "embedding_dims": 768,
                    "ollama_base_url": "http://ollama:11434",
                },
            },
            "reranker": {
                "provider": "llm_reranker",
                "config": {"provider": "openai", "model": "gpt-4o", "top_k": 5},
            },
            "version": "v1.1",
            "custom_fact_extraction_prompt": "Remember dietary preferences.",
            "custom_update_memory_prompt": "Prefer the newest statement.",
        }
    )
    assert mapped.settings == {
        "neo4j_uri": "bolt://db:7687",
        "neo4j_user": "neo4j",
        "neo4j_password": "pw",
        "neo4j_database": "mem",
        "similarity_threshold": 0.8,
        "llm_provider": "openai",
        "llm_base_url": "http://llm:8000/v1",
        "llm_api_key": "sk-test",
        "llm_model": "gpt-4o-mini",
        "embedder_provider": "ollama",
        "embedder_base_url": "http://ollama:11434",
        "embedder_model": "nomic-embed-text",
        "reranker_provider": "llm",
        "reranker_model": "gpt-4o",
        "extraction_instructions": "Remember dietary preferences.",
        "resolution_instructions": "Prefer the newest statement.",
    }
    assert mapped.embedding_dims == 768


def test_local_models_and_graph_llm(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text("{}")
    mapped = from_mem0(
        {
            "graph_store": {
                **GRAPH,
                "llm": {"provider": "ollama", "config": {"model": "qwen2.5:7b"}},
            },
            "embedder": {"provider": "huggingface", "config": {"model": str(tmp_path)}},
            "reranker": {
                "provider": "sentence_transformer",
                "config": {"model": str(tmp_path), "device": "cpu"},
            },
            "custom_instructions": "Skip small talk.",
        }
    )
    assert (
        mapped.settings["llm_provider"] == "ollama" and mapped.settings["llm_model"] == "qwen2.5:7b"
    )
    assert mapped.settings["embedder_provider"] == "local"
    assert mapped.settings["embedder_path"] == tmp_path
    assert mapped.settings["reranker_provider"] == "cross_encoder"
    assert mapped.settings["reranker_path"] == tmp_path
    assert mapped.settings["extraction_instructions"] == "Skip small talk."


def test_a_provider_without_a_model_means_mem0s_default_for_it() -> None:
    mapped = from_mem0(
        {
            "llm": {"provider": "openai", "config": {}},
            "embedder": {"provider": "huggingface", "config": {"model": "all-MiniLM-L6-v2"}},
        }
    )
    assert mapped.settings["llm_model"] == "gpt-4.1-nano-2025-04-14"
    assert mapped.settings["embedder_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    ollama = from_mem0({"llm": {"provider": "ollama", "config": {"api_key": "unused"}}})
    assert ollama.settings == {"llm_provider": "ollama", "llm_model": "llama3.1:70b"}


def test_what_does_not_map_is_refused_all_at_once_with_graphmems_equivalent() -> None:
    with pytest.raises(ConfigError) as refused:
        from_mem0(
            {
                "vector_store": {
                    "provider": "qdrant",
                    "config": {"host": "localhost", "port": 6333},
                },
                "graph_store": {
                    "provider": "memgraph",
                    "config": {"url": "bolt://m", "username": "u", "password": "p"},
                },
                "llm": {"provider": "anthropic", "config": {"model": "claude"}},
                "embedder": {
                    "provider": "huggingface",
                    "config": {"model": "x", "model_kwargs": {"device": "cuda"}},
                },
                "reranker": {"provider": "cohere", "config": {"model": "rerank-english-v3.0"}},
                "history_db_path": "/tmp/history.db",
                "version": "v1.0",
                "enable_graph": False,
                "vector_store_typo": 1,
            }
        )
    message = str(refused.value)
    for key, equivalent in (
        ("vector_store", "Neo4j"),
        ("graph_store.provider", "Neo4j only"),
        ("llm.provider", "ollama, openai"),
        ("embedder.config.model_kwargs", "ONNX"),
        ("reranker.provider", "llm_reranker"),
        ("history_db_path", "Memory.history"),
        ("version", "v1.1"),
        ("enable_graph", "graph memory"),
        ("vector_store_typo", "config show"),
    ):
        assert f"- {key}: " in message and equivalent in message, (key, message)


def test_one_llm_for_everything_and_the_reranker_goes_through_it() -> None:
    with pytest.raises(ConfigError) as refused:
        from_mem0(
            {
                "llm": {"provider": "ollama", "config": {"model": "a"}},
                "graph_store": {**GRAPH, "llm": {"provider": "ollama", "config": {"model": "b"}}},
                "reranker": {
                    "provider": "llm_reranker",
                    "config": {"provider": "openai", "scoring_prompt": "x"},
                },
            }
        )
    message = str(refused.value)
    assert "graph_store.llm: graphmem uses one LLM" in message
    assert "reranker.config.provider: 'openai'" in message
    assert "reranker.config.scoring_prompt" in message


def test_embedding_dims_must_be_the_models(model_path: Path) -> None:
    config = {
        "graph_store": {**GRAPH, "config": {**GRAPH["config"], "url": "bolt://127.0.0.1:1"}},
        "embedder": {
            "provider": "huggingface",
            "config": {"model": str(model_path), "embedding_dims": 1536},
        },
    }
    with pytest.raises(ConfigError, match=r"embedding_dims is 1536.*384-dimensional"):
        Memory.from_config(config)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Memory(config={"llm": {"provider": "ollama"}}),  # Memory(config=MemoryConfig())
        lambda: Memory({"llm": {"provider": "ollama"}}),  # type: ignore[arg-type]
        lambda: AsyncMemory(config={"llm": {"provider": "ollama"}}),
    ],
)
def test_mem0s_config_object_points_to_from_config(build: Any) -> None:
    """mem0 also takes its config as Memory(config=MemoryConfig(...)): graphmem names the
    way it takes mem0's config instead, before connecting to anything."""
    with pytest.raises(ConfigError, match=r"Memory\.from_config\(config_dict\)"):
        build()
