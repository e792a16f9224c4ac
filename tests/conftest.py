"""Shared fixtures: a real Neo4j for the session, the real embedder, a scripted LLM."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from graphmem.config import Settings
from graphmem.embed.local import LocalEmbedder
from graphmem.memory import Memory
from tests.cli_runner import cli_env

if TYPE_CHECKING:
    from tests.scripted_llm import ScriptedLLMServer

pytest_plugins = ["tests.neo4j_session", "tests.scripted_llm"]

REPO = Path(__file__).resolve().parent.parent
MODEL_PATH = Path(
    os.environ.get("GRAPHMEM_TEST_MODEL_PATH", REPO.parent / "shared/models/all-MiniLM-L6-v2")
)


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not (MODEL_PATH / "model.onnx").is_file():
        pytest.fail(f"test embedding model missing at {MODEL_PATH}; set GRAPHMEM_TEST_MODEL_PATH")
    return MODEL_PATH


@pytest.fixture(scope="session")
def embedder(model_path: Path) -> LocalEmbedder:
    return LocalEmbedder(model_path, model_name="sentence-transformers/all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def settings(neo4j_server, model_path: Path, tmp_path_factory) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(
        neo4j_uri=neo4j_server.uri,
        neo4j_user=neo4j_server.user,
        neo4j_password=neo4j_server.password,
        embedder_path=model_path,
        data_dir=tmp_path_factory.mktemp("graphmem-data"),
    )


@pytest.fixture
def graphmem_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The GRAPHMEM_* environment a user would set for the test Neo4j and model (no config
    file, a data dir of the test's own): for commands and scripts that build their own
    Memory."""
    return cli_env(settings, tmp_path)


@pytest.fixture(scope="session")
def memory(settings: Settings, embedder: LocalEmbedder) -> Iterator[Memory]:
    with Memory(settings, embedder=embedder) as mem:
        yield mem


@pytest.fixture
def user_id(memory: Memory) -> Iterator[str]:
    """A fresh user scope per test; its data is removed afterwards."""
    uid = f"test-{uuid.uuid4().hex[:12]}"
    yield uid
    memory.reset(user_id=uid)


@pytest.fixture(scope="module")
def rest_memory(
    settings: Settings, embedder: LocalEmbedder, scripted_llm_server: ScriptedLLMServer
) -> Iterator[Memory]:
    """A Memory whose LLM is the scripted server, for a module's REST app."""
    llm_settings = settings.model_copy(update={"llm_base_url": scripted_llm_server.url})
    with Memory(llm_settings, embedder=embedder) as memory:
        yield memory
