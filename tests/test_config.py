from pathlib import Path

import pytest

from graphmem.config import load_settings
from graphmem.errors import ConfigError


@pytest.fixture(autouse=True)
def _isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(__import__("os").environ):
        if name.startswith("GRAPHMEM_"):
            monkeypatch.delenv(name)
    config = tmp_path / "config.toml"
    monkeypatch.setenv("GRAPHMEM_CONFIG", str(config))
    return config


def test_defaults() -> None:
    settings = load_settings()
    assert settings.similarity_threshold == 0.7
    assert settings.llm_provider == "ollama"
    assert settings.embedder_provider == "local"


def test_env_beats_file_and_code_beats_env(
    monkeypatch: pytest.MonkeyPatch, _isolated_config: Path
) -> None:
    _isolated_config.write_text('llm_model = "from-file"\nneo4j_uri = "bolt://file:7687"\n')
    monkeypatch.setenv("GRAPHMEM_LLM_MODEL", "from-env")
    settings = load_settings()
    assert settings.llm_model == "from-env"
    assert settings.neo4j_uri == "bolt://file:7687"
    assert load_settings(llm_model="from-code").llm_model == "from-code"


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHMEM_NEO4J_PASSWORD", "hunter2")
    shown = load_settings().masked()
    assert shown["neo4j_password"] == "********"
    assert "hunter2" not in str(shown)


def test_invalid_values_are_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHMEM_SIMILARITY_THRESHOLD", "1.5")
    with pytest.raises(ConfigError, match="similarity_threshold"):
        load_settings()


def test_unknown_file_keys_are_rejected(_isolated_config: Path) -> None:
    _isolated_config.write_text('llm_modle = "typo"\n')
    with pytest.raises(ConfigError, match="llm_modle"):
        load_settings()


def test_urls_are_shown_with_their_credentials_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHMEM_LLM_BASE_URL", "https://bob:hunter2@llm.example/v1?api-key=sk-9")
    monkeypatch.setenv("GRAPHMEM_EMBEDDER_BASE_URL", "https://tok3n@embed.example/?token=t0k")
    shown = load_settings().masked()
    assert shown["llm_base_url"] == "https://bob:********@llm.example/v1?api-key=********"
    assert shown["embedder_base_url"] == "https://********@embed.example/?token=********"
    assert not {"hunter2", "sk-9", "tok3n", "t0k"} & set(str(shown).replace("/", " ").split())


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("bolt://neo4j:s3cret@127.0.0.1:7687", "carries credentials"),
        ("bolt://127.0.0.1:notaport", "not a valid URI"),
        ("bolt://[::1", "not a valid URI"),
        ("http://127.0.0.1:7474", "the scheme must be one of"),
        ("bolt://:7687", "names no host"),
    ],
)
def test_a_malformed_neo4j_uri_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, uri: str, reason: str
) -> None:
    monkeypatch.setenv("GRAPHMEM_NEO4J_URI", uri)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert reason in message and "s3cret" not in message and "\n" not in message


def test_the_remembered_server_and_its_password_name_one_server(tmp_path: Path) -> None:
    """Issues 12 and 13 together: `neo4j start --home H --bolt-port P` is remembered, and
    the password settings read is H's (not the default home's) wherever the URI in use is
    P's: found through the record, or given explicitly."""
    from graphmem.config import LEGACY_NEO4J_PASSWORD, remember_local_server

    data, home = tmp_path / "data", tmp_path / "elsewhere"
    home.mkdir()
    (home / "graphmem-neo4j.password").write_text("from-the-started-home\n")
    (data / "neo4j").mkdir(parents=True)
    (data / "neo4j" / "graphmem-neo4j.password").write_text("from-the-default-home\n")
    remember_local_server(data, "bolt://127.0.0.1:27687", "http://127.0.0.1:27474/", home)

    found = load_settings(data_dir=data)
    assert found.neo4j_uri == "bolt://127.0.0.1:27687"
    assert found.neo4j_password.get_secret_value() == "from-the-started-home"
    assert (found.neo4j_password_origin, found.neo4j_password_home) == ("stored", home)
    same = load_settings(data_dir=data, neo4j_uri="bolt://127.0.0.1:27687")
    assert same.neo4j_password.get_secret_value() == "from-the-started-home"
    routed = load_settings(data_dir=data, neo4j_uri="neo4j://127.0.0.1:27687")  # issue 15
    assert routed.neo4j_password.get_secret_value() == "from-the-started-home"
    other = load_settings(data_dir=data, neo4j_uri="bolt://127.0.0.1:7687")
    assert other.neo4j_password.get_secret_value() == "from-the-default-home"
    given = load_settings(data_dir=data, neo4j_password="mine")
    assert given.neo4j_password.get_secret_value() == "mine"
    assert given.neo4j_password_origin == "configured" and given.neo4j_password_home is None
    (home / "graphmem-neo4j.password").unlink()  # an install from before random passwords
    legacy = load_settings(data_dir=data)
    assert legacy.neo4j_password.get_secret_value() == LEGACY_NEO4J_PASSWORD
    assert legacy.neo4j_password_origin == "legacy"


def test_a_started_server_and_the_browser_url_take_the_configured_http_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_path: Path
) -> None:
    """quickstart (open_memory with start_local) starts its server on neo4j_http_port
    (GRAPHMEM_NEO4J_HTTP_PORT), as `graphmem neo4j start` does; it used 7474 whatever was
    configured, so a machine whose 7474 was taken could not run the quickstart."""
    from graphmem import neo4j_server
    from graphmem.cli.common import browser_url, open_memory
    from tests.neo4j_session import free_ports

    monkeypatch.setenv("GRAPHMEM_NEO4J_HTTP_PORT", "27475")
    monkeypatch.setenv("GRAPHMEM_NEO4J_URI", f"bolt://127.0.0.1:{free_ports(1)[0]}")  # none answers
    monkeypatch.setenv("GRAPHMEM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GRAPHMEM_EMBEDDER_PATH", str(model_path))
    asked: dict[str, object] = {}

    class Started(Exception):
        pass

    def start(home: Path, **options: object) -> None:
        asked.update(options)
        raise Started

    monkeypatch.setattr(neo4j_server, "start", start)
    with pytest.raises(Started):
        open_memory(start_local=True)
    assert asked["http_port"] == 27475
    elsewhere = load_settings(neo4j_uri="bolt://db.example:7687")
    assert browser_url(elsewhere) == "http://db.example:27475/browser/"
