"""Settings, from code, GRAPHMEM_* environment variables, or a TOML config file.

Precedence, highest first: arguments in code, environment, the config file
(GRAPHMEM_CONFIG, else <user config dir>/graphmem/config.toml), defaults.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from graphmem.errors import ConfigError

DEFAULT_LLM_MODEL = "qwen2.5:7b"
DEFAULT_EMBED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# The password the bundled launcher and docker/compose.yml give a local Neo4j.
LOCAL_NEO4J_PASSWORD = "graphmem-local"
# The Neo4j the local launcher runs unless told otherwise: the 5.26 LTS (Java 17 or 21).
# Calendar versions (2025.01 and later, Java 21+) work too; see graphmem/neo4j_server.py.
DEFAULT_NEO4J_VERSION = "5.26.30"
NEO4J_VERSION_PATTERN = r"^[0-9]{1,4}\.[0-9]{1,2}\.[0-9]{1,3}$"
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


class Settings(BaseSettings):
    """Everything graphmem can be configured with. Unknown fields are rejected."""

    model_config = SettingsConfigDict(env_prefix="GRAPHMEM_", extra="forbid")

    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr(LOCAL_NEO4J_PASSWORD)
    neo4j_database: str = "neo4j"
    # Only for a local server graphmem starts itself (`graphmem neo4j start`, quickstart).
    neo4j_version: str = Field(
        default=DEFAULT_NEO4J_VERSION,
        pattern=NEO4J_VERSION_PATTERN,
        description="Neo4j version the local launcher runs, e.g. 5.26.30 or 2026.08.1.",
    )
    neo4j_java_home: Path | None = Field(
        default=None, description="The JDK that runs a local Neo4j (else JAVA_HOME, else PATH)."
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

    similarity_threshold: float = Field(
        default=0.7, ge=0.0, le=1.0, description="Raw cosine similarity that proposes a duplicate."
    )
    data_dir: Path = Field(default_factory=default_data_dir)

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
        return (init_settings, env_settings, toml)

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain values, secrets masked."""
        shown: dict[str, Any] = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                shown[name] = "********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                shown[name] = str(value)
            else:
                shown[name] = value
        return shown


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning pydantic's validation errors into a ConfigError.

    When neither code, environment nor config file names `neo4j_uri`, the local server
    `graphmem neo4j start` remembered (remember_local_server) is used, on whatever port it
    was started; a URI given explicitly always wins.
    """
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid graphmem configuration: {problems}") from None
    if "neo4j_uri" not in settings.model_fields_set:
        local = remembered_local_server(settings.data_dir)
        if local is not None:
            settings = settings.model_copy(update={"neo4j_uri": local["uri"]})
    return settings


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
