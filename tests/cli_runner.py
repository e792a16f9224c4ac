"""Running the CLI in tests: click's CliRunner against the session's Neo4j and model."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from graphmem.cli import cli
from graphmem.config import Settings


def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The test Neo4j and model for commands that build their own Memory from env; a data
    dir of the test's own (the remembered local server lives there)."""
    return {
        "GRAPHMEM_CONFIG": str(tmp_path / "absent.toml"),
        "GRAPHMEM_NEO4J_URI": settings.neo4j_uri,
        "GRAPHMEM_NEO4J_USER": settings.neo4j_user,
        "GRAPHMEM_NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "GRAPHMEM_EMBEDDER_PATH": str(settings.embedder_path),
        "GRAPHMEM_DATA_DIR": str(tmp_path / "data"),
        "GRAPHMEM_USER_ID": "",
    }


def run(env: dict[str, str], *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)
