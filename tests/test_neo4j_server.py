"""The no-Docker Neo4j launcher, against real servers.

Most tests share the session's server (tests/neo4j_session.py); one starts and stops its
own, since stopping the shared one would pull it from under the other tests.
"""

from __future__ import annotations

import base64
import json
import socket
import stat
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError

from graphmem import neo4j_server as launcher
from graphmem.cli.neo4j_commands import neo4j_group
from graphmem.config import LEGACY_NEO4J_PASSWORD, Settings, load_settings
from graphmem.errors import ConfigError, Neo4jLauncherError
from graphmem.neo4j_server.conf import write_conf
from graphmem.neo4j_server.credentials import Password, password_for_start
from tests.neo4j_session import Neo4jTarget, free_ports


@pytest.fixture
def launched(neo4j_server: Neo4jTarget) -> launcher.ServerInfo:
    """The session server's launcher info; skipped when tests run against an external one."""
    if neo4j_server.info is None:
        pytest.skip("GRAPHMEM_TEST_NEO4J_URI points at an external server")
    return neo4j_server.info


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port with a listener on it for the duration of the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_return_1(neo4j_driver: Driver) -> None:
    records, _, _ = neo4j_driver.execute_query("RETURN 1 AS one")
    assert records[0]["one"] == 1


def test_create_then_read_a_node(neo4j_driver: Driver) -> None:
    marker = f"launcher-test-{uuid.uuid4()}"
    neo4j_driver.execute_query("CREATE (:LauncherProbe {marker: $marker, n: 42})", marker=marker)
    try:
        records, _, _ = neo4j_driver.execute_query(
            "MATCH (p:LauncherProbe {marker: $marker}) RETURN p.n AS n", marker=marker
        )
        assert [r["n"] for r in records] == [42]
    finally:
        neo4j_driver.execute_query(
            "MATCH (p:LauncherProbe {marker: $marker}) DELETE p", marker=marker
        )


def test_status_reports_the_running_server(launched: launcher.ServerInfo) -> None:
    found = launcher.status(launched.home)
    assert found.running
    assert (found.mode, found.pid, found.uri) == ("launcher", launched.pid, launched.uri)
    assert found.version == launcher.NEO4J_VERSION


def test_start_again_returns_the_running_server(launched: launcher.ServerInfo) -> None:
    began = time.monotonic()
    again = launcher.start(
        launched.home,
        bolt_port=launched.bolt_port,
        http_port=launched.http_port,
        prefer_docker=False,
    )
    assert again == launched
    assert time.monotonic() - began < 10


def test_browser_answers(launched: launcher.ServerInfo) -> None:
    with urllib.request.urlopen(launched.browser_url, timeout=10) as response:
        assert response.status == 200
        assert "Neo4j Browser" in response.read().decode("utf-8", errors="replace")


def test_discovery_advertises_the_real_bolt_port(launched: launcher.ServerInfo) -> None:
    # Browser connects to the advertised address; it must not fall back to 7687.
    url = f"http://127.0.0.1:{launched.http_port}/"
    with urllib.request.urlopen(url, timeout=10) as response:
        discovery = json.load(response)
    assert discovery["bolt_direct"] == launched.uri


def test_wrong_password_is_explained(launched: launcher.ServerInfo) -> None:
    with pytest.raises(Neo4jLauncherError, match="refused the password"):
        launcher.start(launched.home, password="not-the-password", prefer_docker=False)


def test_taken_bolt_port_is_named(tmp_path: Path, taken_port: int) -> None:
    (http_port,) = free_ports(1)
    with pytest.raises(Neo4jLauncherError) as caught:
        launcher.start(tmp_path, bolt_port=taken_port, http_port=http_port, prefer_docker=False)
    message = str(caught.value)
    assert f"port {taken_port}" in message
    assert "bolt_port" in message and "--bolt-port" in message


def test_taken_http_port_is_named(tmp_path: Path, taken_port: int) -> None:
    (bolt_port,) = free_ports(1)
    with pytest.raises(Neo4jLauncherError, match=rf"port {taken_port}.*--http-port"):
        launcher.start(tmp_path, bolt_port=bolt_port, http_port=taken_port, prefer_docker=False)


def test_server_that_dies_reports_its_log(tmp_path: Path) -> None:
    bolt_port, http_port = free_ports(2)
    with pytest.raises(Neo4jLauncherError) as caught:
        # A 1 KB heap makes the JVM refuse to start: a real early death.
        launcher.start(
            tmp_path, bolt_port=bolt_port, http_port=http_port, heap="1k", prefer_docker=False
        )
    message = str(caught.value)
    assert "exited during start-up" in message
    assert "Too small" in message
    assert not launcher.status(tmp_path).running


def test_missing_maven_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(launcher.LIB_DIR_ENV, str(tmp_path / "no-jars-yet"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Neo4jLauncherError, match=r"Maven \(mvn\) is needed"):
        launcher.ensure_jars()


def test_missing_java_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Neo4jLauncherError, match=r"Java 17 or newer is needed"):
        launcher.find_java()


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "21" 2023-09-19', 21),
        ('openjdk version "25.0.1" 2025-10-21 LTS', 25),
    ],
)
def test_java_major_version(output: str, major: int) -> None:
    assert launcher.java_major_version(output) == major


def test_launcher_project_is_found() -> None:
    assert (launcher.launcher_project_dir() / "pom.xml").is_file()
    assert launcher.compose_file().is_file()


def test_cli_status_json(launched: launcher.ServerInfo) -> None:
    result = CliRunner().invoke(neo4j_group, ["status", "--json", "--home", str(launched.home)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["running"] is True


def test_cli_start_error_is_a_click_error(tmp_path: Path, taken_port: int) -> None:
    args = ["start", "--no-docker", "--home", str(tmp_path), "--bolt-port", str(taken_port)]
    result = CliRunner().invoke(neo4j_group, args)
    assert result.exit_code == 1
    assert f"port {taken_port}" in result.output


def f1_request(http_port: int, password: str) -> tuple[int, dict[str, str], bytes]:
    """Issue 13's F1 repro: a web page on another origin reads facts through the HTTP API
    with the password every install used to share."""
    body = json.dumps({"statements": [{"statement": "MATCH (f:Fact) RETURN count(f)"}]})
    token = base64.b64encode(f"neo4j:{password}".encode()).decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{http_port}/db/neo4j/tx/commit",
        data=body.encode(),
        headers={
            "Origin": "http://evil.example",
            "Authorization": f"Basic {token}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


def opens(uri: str, password: str) -> bool:
    try:
        with GraphDatabase.driver(uri, auth=("neo4j", password)) as driver:
            driver.verify_connectivity()
    except AuthError:
        return False
    return True


def test_start_status_stop_lifecycle_with_a_password_of_its_own(tmp_path: Path) -> None:
    """A new home gets a random password only its owner reads; the HTTP API answers no other
    web origin; an install with the old default keeps working, is warned, and rotates."""
    home = tmp_path / "home"
    bolt_port, http_port = free_ports(2)
    info = launcher.start(
        home,
        bolt_port=bolt_port,
        http_port=http_port,
        heap="256m",
        pagecache="32m",
        prefer_docker=False,
    )
    cli = CliRunner()
    home_args = ["--home", str(home)]
    try:
        assert launcher.status(home).running
        assert (home / launcher.PID_FILE).read_text().strip() == str(info.pid)

        # The password: random, in a 0600 file of a 0700 home; the server's files owner-only.
        stored = launcher.password_path(home)
        password = stored.read_text().strip()
        assert info.password_file == stored and not info.default_password
        assert len(password) >= 30 and password != LEGACY_NEO4J_PASSWORD
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        for made_by_neo4j in (home / "data" / "dbms" / "auth.ini", home / "logs" / "neo4j.log"):
            assert stat.S_IMODE(made_by_neo4j.stat().st_mode) & 0o077 == 0, made_by_neo4j
        assert not opens(info.uri, LEGACY_NEO4J_PASSWORD) and opens(info.uri, password)

        # F1 again: the old password is refused, and no answer is shared with another origin.
        code, headers, _ = f1_request(http_port, LEGACY_NEO4J_PASSWORD)
        assert code == 401
        assert headers.get("Access-Control-Allow-Origin") in (None, f"http://127.0.0.1:{http_port}")
        code, headers, _ = f1_request(http_port, password)
        assert code == 200
        assert headers["Access-Control-Allow-Origin"] == f"http://127.0.0.1:{http_port}"

        # Every command finds it: settings read the home's file when none is configured.
        found = Settings(neo4j_home=home, neo4j_uri=info.uri)
        assert found.neo4j_password_origin == "stored"
        assert found.neo4j_password.get_secret_value() == password
        shown = cli.invoke(neo4j_group, ["status", *home_args])
        assert shown.exit_code == 0 and password not in shown.output
        shown = cli.invoke(neo4j_group, ["status", "--show-password", *home_args])
        assert f"password: {password}" in shown.stdout

        # An install from before: the database has the old default and no password file.
        with GraphDatabase.driver(info.uri, auth=("neo4j", password)) as driver:
            driver.execute_query(
                "ALTER CURRENT USER SET PASSWORD FROM $old TO $new",
                old=password,
                new=LEGACY_NEO4J_PASSWORD,
                database_="system",
            )
        stored.unlink()
        ports = ["--bolt-port", str(bolt_port), "--http-port", str(http_port)]
        again = cli.invoke(neo4j_group, ["start", "--no-docker", *home_args, *ports])
        assert again.exit_code == 0, again.output
        assert "old default password" in again.stderr and "rotate-password" in again.stderr
        assert launcher.status(home).default_password

        rotated = cli.invoke(neo4j_group, ["rotate-password", *home_args])
        assert rotated.exit_code == 0, rotated.output
        fresh = stored.read_text().strip()
        assert fresh not in (password, LEGACY_NEO4J_PASSWORD)
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        assert not opens(info.uri, LEGACY_NEO4J_PASSWORD) and opens(info.uri, fresh)
        assert not launcher.status(home).default_password
        quiet = cli.invoke(neo4j_group, ["start", "--no-docker", *home_args, *ports])
        assert quiet.exit_code == 0 and "old default" not in quiet.stderr
    finally:
        assert launcher.stop(home)
    assert not launcher.status(home).running
    assert not launcher.stop(home)
    assert not (home / launcher.STATE_FILE).exists()
    # Nothing listens on its ports any more.
    for port in (bolt_port, http_port):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_database_from_before_without_a_password_file_opens_with_the_old_default(
    tmp_path: Path,
) -> None:
    (tmp_path / "data" / "databases").mkdir(parents=True)
    chosen = password_for_start(tmp_path, None, database_exists=True)
    assert chosen == Password(LEGACY_NEO4J_PASSWORD, legacy=True)
    assert not launcher.password_path(tmp_path).exists()
    new_home = tmp_path / "new"
    new_home.mkdir()
    created = password_for_start(new_home, None, database_exists=False)
    assert (
        not created.legacy and created.value == launcher.password_path(new_home).read_text().strip()
    )
    assert password_for_start(new_home, None, database_exists=True) == created


def test_a_password_starting_with_a_dash_is_set(neo4j_server: Neo4jTarget, tmp_path: Path) -> None:
    """A random password starts with "-" once in 64 (token_urlsafe), which neo4j-admin took
    for an option: "Missing required parameter: '<password>'", and the start failed."""
    from graphmem.neo4j_server.launcher import _set_initial_password

    java, _ = launcher.find_java(launcher.NEO4J_VERSION, None)
    lib = launcher.ensure_jars()  # cached: the session's server runs from them
    write_conf(tmp_path, lib, *free_ports(2), "256m", "32m")
    _set_initial_password(java, lib, tmp_path, "-looks-like-an-option")
    assert (tmp_path / "data" / "dbms" / "auth.ini").is_file()


def test_the_conf_limits_cors_and_listens_on_loopback(tmp_path: Path) -> None:
    write_conf(tmp_path, tmp_path, 21001, 21002, "256m", "32m")
    conf = (tmp_path / "conf" / "neo4j.conf").read_text().splitlines()
    assert "dbms.security.http_access_control_allow_origin=http://127.0.0.1:21002" in conf
    assert "server.bolt.listen_address=127.0.0.1:21001" in conf
    assert "server.http.listen_address=127.0.0.1:21002" in conf


# -- versions and Java ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "java"), [("5.26.30", 17), ("2025.01.0", 21), ("2026.08.1", 21)]
)
def test_the_java_each_version_needs(version: str, java: int) -> None:
    assert launcher.required_java(version) == java


@pytest.mark.parametrize("version", ["4.4.40", "latest", "2026.08", "5.26.30 -Dx=y"])
def test_a_version_graphmem_cannot_run_is_refused(version: str, tmp_path: Path) -> None:
    with pytest.raises(Neo4jLauncherError, match="not one graphmem runs"):
        launcher.start(tmp_path, version=version, prefer_docker=False)


def test_a_too_old_java_names_the_java_needed() -> None:
    old = [home for home, major in launcher.installed_javas() if major < 21]
    if not old:
        pytest.skip("no JDK older than 21 is installed to try")
    with pytest.raises(Neo4jLauncherError, match=r"Neo4j 2026\.08\.1 needs Java 21 or newer"):
        launcher.find_java("2026.08.1", java_home=old[0])


def test_a_java_home_without_java_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Neo4jLauncherError, match="has no bin/java"):
        launcher.find_java(java_home=tmp_path)


def test_another_version_in_a_running_home_is_refused(launched: launcher.ServerInfo) -> None:
    assert launched.version == launcher.NEO4J_VERSION
    with pytest.raises(Neo4jLauncherError, match=rf"{launcher.NEO4J_VERSION} already runs"):
        launcher.start(launched.home, version="2026.08.1", prefer_docker=False)


def test_the_entry_point_is_the_one_the_jars_name(launched: launcher.ServerInfo) -> None:
    assert launcher.entry_point(launcher.ensure_jars()) == launcher.ENTRY_POINT


def test_jars_of_another_version_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "neo4j-5.26.30.jar").write_bytes(b"")
    monkeypatch.setenv(launcher.LIB_DIR_ENV, str(tmp_path))
    with pytest.raises(Neo4jLauncherError, match=r"jars of Neo4j 5\.26\.30, not 2026\.08\.1"):
        launcher.ensure_jars("2026.08.1")


def test_the_version_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHMEM_CONFIG", str(tmp_path / "none.toml"))
    assert load_settings().neo4j_version == launcher.NEO4J_VERSION
    monkeypatch.setenv("GRAPHMEM_NEO4J_VERSION", "2026.08.1")
    assert load_settings().neo4j_version == "2026.08.1"
    monkeypatch.setenv("GRAPHMEM_NEO4J_VERSION", "latest")
    with pytest.raises(ConfigError, match="neo4j_version"):
        load_settings()


def test_cli_start_refuses_a_bad_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHMEM_CONFIG", str(tmp_path / "none.toml"))
    args = ["start", "--no-docker", "--home", str(tmp_path), "--neo4j-version", "4.4.40"]
    result = CliRunner().invoke(neo4j_group, args)
    assert result.exit_code == 1
    assert "not one graphmem runs" in result.output
