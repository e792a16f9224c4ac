"""Settings, from code, GRAPHMEM_* environment variables, or a TOML config file.

Precedence, highest first: arguments in code, environment, the config file
(GRAPHMEM_CONFIG, else <user config dir>/graphmem/config.toml), defaults.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from graphmem.errors import ConfigError
from graphmem.urls import masked_url, same_server

DEFAULT_LLM_MODEL = "qwen2.5:7b"
DEFAULT_EMBED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# The password every local Neo4j had before each install got a random one of its own. An
# install created then still opens with it (and is told how to rotate it).
LEGACY_NEO4J_PASSWORD = "graphmem-local"
# Where a local server's home keeps its random password, readable by its owner only (0600).
NEO4J_PASSWORD_FILE = "graphmem-neo4j.password"
# The Neo4j the local launcher runs unless told otherwise: the 5.26 LTS (Java 17 or 21).
# Calendar versions (2025.01 and later, Java 21+) work too; see graphmem/neo4j_server/.
DEFAULT_NEO4J_VERSION = "5.26.30"
NEO4J_VERSION_PATTERN = r"^[0-9]{1,4}\.[0-9]{1,2}\.[0-9]{1,3}$"
MAX_INSTRUCTIONS = 8_000
# mem0's names for graphmem's settings, accepted in code and in the config file. mem0's are
# whole prompts; graphmem adds their text as instructions and keeps its own JSON contract.
MEM0_NAMES = {
    "custom_fact_extraction_prompt": "extraction_instructions",
    "custom_instructions": "extraction_instructions",  # mem0 2.x's name
    "custom_update_memory_prompt": "resolution_instructions",
}
NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
# Settings that hold URLs: shown with their credentials masked.
URL_SETTINGS = frozenset({"neo4j_uri", "llm_base_url", "embedder_base_url"})
# Under the data dir: the local server `graphmem neo4j start` last started (its Bolt URI,
# Browser URL and home), so every later command finds it on the port it was given.
LOCAL_SERVER_FILE = "local-neo4j.json"


def config_file_path() -> Path:
    explicit = os.environ.get("GRAPHMEM_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_config_dir("graphmem")) / "config.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("graphmem"))


def stored_neo4j_password(home: Path) -> str | None:
    """The password a local server's home stores, None when it stores none."""
    try:
        text = (home / NEO4J_PASSWORD_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def local_neo4j_password(home: Path) -> tuple[str, bool]:
    """The password a local server's home opens with, and whether it is stored there (else
    it is the old default, kept by an install from before random passwords)."""
    stored = stored_neo4j_password(home)
    return (stored, True) if stored else (LEGACY_NEO4J_PASSWORD, False)


class Settings(BaseSettings):
    """Everything graphmem can be configured with. Unknown fields are rejected."""

    model_config = SettingsConfigDict(env_prefix="GRAPHMEM_", extra="forbid")

    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    # Unset: the password the local server's home stores (`graphmem neo4j start` creates a
    # random one), else the old default an install from before kept.
    neo4j_password: SecretStr | None = None
    neo4j_database: str = "neo4j"
    neo4j_home: Path | None = Field(
        default=None, description="The local Neo4j's home (default: <data_dir>/neo4j)."
    )
    # Only for a local server graphmem starts itself (`graphmem neo4j start`, quickstart).
    neo4j_version: str = Field(
        default=DEFAULT_NEO4J_VERSION,
        pattern=NEO4J_VERSION_PATTERN,
        description="Neo4j version the local launcher runs, e.g. 5.26.30 or 2026.08.1.",
    )
    neo4j_java_home: Path | None = Field(
        default=None, description="The JDK that runs a local Neo4j (else JAVA_HOME, else PATH)."
    )
    neo4j_http_port: int = Field(
        default=7474,
        ge=1,
        le=65535,
        description="Browser/HTTP port of a local Neo4j graphmem starts (its Bolt port is "
        "neo4j_uri's); also the Browser address printed for a server graphmem did not start.",
    )

    llm_provider: str = "ollama"  # a registered provider: ollama, openai, langchain, ...
    llm_model: str = DEFAULT_LLM_MODEL
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=120.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)

    embedder_provider: str = "local"  # a registered provider: local, ollama, openai, ...
    embedder_model: str = DEFAULT_EMBED_MODEL
    embedder_path: Path | None = Field(
        default=None, description="A folder holding model.onnx and tokenizer.json."
    )
    embedder_base_url: str | None = None
    embedder_api_key: SecretStr | None = None

    # An optional stage after recall that reorders its results (graphmem/rerank/): off by
    # default. "llm": one call per search through the configured LLM provider; "cross_encoder":
    # an ONNX cross-encoder run with onnxruntime from a local folder (reranker_path).
    reranker_provider: Literal["llm", "cross_encoder"] | None = None
    reranker_model: str | None = Field(
        default=None, description="The LLM reranker's model (default: llm_model)."
    )
    reranker_path: Path | None = Field(
        default=None, description="A cross-encoder folder holding model.onnx and tokenizer.json."
    )

    similarity_threshold: float = Field(
        default=0.7, ge=0.0, le=1.0, description="Raw cosine similarity that proposes a duplicate."
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    _password_origin: str = PrivateAttr(default="configured")
    _password_home: Path | None = PrivateAttr(default=None)

    @field_validator("neo4j_uri")
    @classmethod
    def _neo4j_uri(cls, value: str) -> str:
        """A Bolt/Neo4j URI the driver can use, without credentials in it. The messages
        never repeat the URI: it may hold a password."""
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError:
            raise ValueError("not a valid URI (its host or port cannot be read)") from None
        if parts.scheme not in NEO4J_SCHEMES:
            raise ValueError(f"the scheme must be one of {', '.join(NEO4J_SCHEMES)}")
        if not parts.hostname:
            raise ValueError("the URI names no host")
        if parts.username is not None or parts.password is not None:
            raise ValueError(
                "the URI carries credentials: give them as neo4j_user / neo4j_password "
                "(GRAPHMEM_NEO4J_USER / GRAPHMEM_NEO4J_PASSWORD) instead"
            )
        if port == 0:
            raise ValueError("port 0 is not a port")
        return value

    @model_validator(mode="after")
    def _local_server(self) -> Settings:
        """What the configuration leaves unsaid about a local server, decided together so the
        URI and the password name one server. No neo4j_uri: the server `graphmem neo4j
        start` remembered (remember_local_server), on whatever port it was given. No
        password: the one stored in the home of the local server the URI names (the
        remembered server's home when the URI is its, else local_neo4j_home), else the old
        default (an install from before random passwords)."""
        remembered = remembered_local_server(self.data_dir.expanduser())
        if remembered is not None and "neo4j_uri" not in self.model_fields_set:
            self.neo4j_uri = remembered["uri"]
        if self.neo4j_password is None:
            home = self.local_neo4j_home
            if remembered and remembered["home"] and same_server(remembered["uri"], self.neo4j_uri):
                home = Path(remembered["home"])
            password, stored = local_neo4j_password(home)
            self.neo4j_password = SecretStr(password)
            self._password_origin = "stored" if stored else "legacy"
            self._password_home = home
        return self

    @property
    def local_neo4j_home(self) -> Path:
        """The home of the local server graphmem starts (`graphmem neo4j start`)."""
        return (self.neo4j_home or self.data_dir / "neo4j").expanduser()

    @property
    def neo4j_password_origin(self) -> str:
        """Where the Neo4j password came from: "configured" (code, env, config file),
        "stored" (the local server's password file) or "legacy" (the old default)."""
        return self._password_origin

    @property
    def neo4j_password_home(self) -> Path | None:
        """The local server home the password was read from (None when configured)."""
        return self._password_home

    # Shaping what is remembered (graphmem/shaping.py); checked when a Memory starts.
    extraction_instructions: str | None = Field(
        default=None,
        max_length=MAX_INSTRUCTIONS,
        description="Guidance added to the extraction prompt, e.g. what to remember or skip "
        "(mem0: custom_fact_extraction_prompt).",
    )
    resolution_instructions: str | None = Field(
        default=None,
        max_length=MAX_INSTRUCTIONS,
        description="Guidance added to the resolution prompt (mem0: custom_update_memory_prompt).",
    )
    extraction_prompt_path: Path | None = Field(
        default=None, description="A file replacing prompts/extraction.v<N>.md, validated."
    )
    resolution_prompt_path: Path | None = Field(
        default=None, description="A file replacing prompts/resolution.v<N>.md, validated."
    )
    domain_schema_path: Path | None = Field(
        default=None, description="A .toml or .json file of entity and relation types."
    )
    domain_fallback: Literal["nearest", "generic"] = Field(
        default="nearest",
        description="A type outside the domain schema becomes the nearest declared type "
        "(by meaning, when near enough) or the generic Thing / RELATED_TO.",
    )

    @field_validator("extraction_instructions", "resolution_instructions")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file_path())
        return (_Mem0Names(init_settings), env_settings, _Mem0Names(toml))

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain values, secrets masked."""
        shown: dict[str, Any] = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                shown[name] = "********" if value.get_secret_value() else ""
            elif name in URL_SETTINGS and isinstance(value, str):
                shown[name] = masked_url(value)
            elif isinstance(value, Path):
                shown[name] = str(value)
            else:
                shown[name] = value
        return shown


class _Mem0Names(PydanticBaseSettingsSource):
    """A source (code, config file) in which mem0's setting names mean graphmem's.

    Renamed per source, so precedence still holds: a mem0 name in code beats the graphmem
    name in the environment. Both names in one source must agree.
    """

    def __init__(self, source: PydanticBaseSettingsSource) -> None:
        super().__init__(source.settings_cls)
        self.source = source

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.source.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        data = dict(self.source())
        for theirs, ours in MEM0_NAMES.items():
            if theirs not in data:
                continue
            value = data.pop(theirs)
            if data.get(ours) not in (None, value):
                raise ConfigError(
                    f"invalid graphmem configuration: {theirs} (mem0's name for {ours}) "
                    f"and {ours} are both set, to different values"
                )
            data[ours] = value
        return data


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning pydantic's validation errors into a ConfigError.

    When neither code, environment nor config file names `neo4j_uri`, the local server
    `graphmem neo4j start` remembered (remember_local_server) is used, on whatever port it
    was started, with the password its home stores; a URI given explicitly always wins.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid graphmem configuration: {problems}") from None


def remember_local_server(data_dir: Path, uri: str, browser_url: str, home: Path) -> None:
    """Record the local server just started, for every later command (load_settings)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    record = {"uri": uri, "browser_url": browser_url, "home": str(home)}
    path = data_dir / LOCAL_SERVER_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def forget_local_server(data_dir: Path, home: Path) -> None:
    """Drop the record when the server it names (by home) is stopped."""
    local = remembered_local_server(data_dir)
    if local is not None and Path(local["home"]) == home:
        (data_dir / LOCAL_SERVER_FILE).unlink(missing_ok=True)


def remembered_local_server(data_dir: Path) -> dict[str, str] | None:
    """{uri, browser_url, home} of the remembered local server, or None."""
    try:
        record = json.loads((data_dir / LOCAL_SERVER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("uri"), str):
        return None
    return {k: str(record.get(k) or "") for k in ("uri", "browser_url", "home")}
