"""Jar resolution: Neo4j's server jars from Maven Central, cached once per version.

Maven (``docker/neo4j-launcher/pom.xml``) copies the runtime classpath into
``<user cache dir>/neo4j-<version>-lib``; the server's main class is the one the jars declare
(org.neo4j.server.CommunityEntryPoint on 5.x, org.neo4j.server.Neo4jCommunity on 2026.x).
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import platformdirs

import graphmem
from graphmem.errors import Neo4jLauncherError
from graphmem.neo4j_server.process import ENTRY_POINT_PACKAGE, LOG_TAIL_LINES, run
from graphmem.neo4j_server.state import NEO4J_VERSION
from graphmem.neo4j_server.versions import check_version

# The 5.x entry point; other versions name theirs in the jar's service file (ENTRY_POINT_SERVICE).
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ENTRY_POINT_SERVICE = "META-INF/services/org.neo4j.server.startup.EntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
LIB_DIR_ENV = "GRAPHMEM_NEO4J_LIB_DIR"
_RESOLVED_MARKER = ".graphmem-resolved"
# org.neo4j:neo4j's own jar (neo4j-5.26.30.jar), not neo4j-kernel-api-... and the like.
_SERVER_JAR = re.compile(r"^neo4j-([0-9][0-9.]*)\.jar$")


def launcher_project_dir() -> Path:
    """The Maven project naming the server jars: package data first, then the checkout."""
    package_dir = Path(graphmem.__file__).resolve().parent
    candidates = (
        package_dir / "docker" / "neo4j-launcher",
        package_dir.parent / "docker" / "neo4j-launcher",
    )
    for candidate in candidates:
        if (candidate / "pom.xml").is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise Neo4jLauncherError(f"the Neo4j launcher project (pom.xml) is missing; looked in {looked}")


def compose_file() -> Path:
    """docker/compose.yml, next to the launcher project."""
    return launcher_project_dir().parent / "compose.yml"


def ensure_jars(version: str = NEO4J_VERSION) -> Path:
    """The directory holding Neo4j's jars, fetched with Maven on first use.

    ``GRAPHMEM_NEO4J_LIB_DIR`` names a directory to use instead of the shared cache
    (``<user cache dir>/neo4j-<version>-lib``); if it holds jars, Maven is not needed, and
    they must be this version's.
    """
    check_version(version)
    override = os.environ.get(LIB_DIR_ENV)
    if override and any(Path(override).glob("*.jar")):
        found = _jar_version(Path(override))
        if found is not None and found != version:
            raise Neo4jLauncherError(
                f"{LIB_DIR_ENV}={override} holds the jars of Neo4j {found}, not {version}: "
                f"unset {LIB_DIR_ENV} (each version is cached apart) or point it elsewhere"
            )
        return Path(override)
    lib = Path(override) if override else _default_lib_dir(version)
    if (lib / _RESOLVED_MARKER).is_file():
        return lib
    partial = lib.with_name(f"{lib.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    _run_maven(partial, version)
    (partial / _RESOLVED_MARKER).write_text(version + "\n", encoding="utf-8")
    _publish_dir(partial, lib)
    return lib


def entry_point(lib: Path) -> str:
    """The server main class the jars in ``lib`` declare (ENTRY_POINT when none does)."""
    for jar in sorted(lib.glob("neo4j-*.jar")):
        if not _SERVER_JAR.match(jar.name):
            continue
        try:
            with zipfile.ZipFile(jar) as archive:
                text = archive.read(ENTRY_POINT_SERVICE).decode("utf-8")
        except (KeyError, OSError, zipfile.BadZipFile, UnicodeDecodeError):
            continue
        for line in text.splitlines():
            name = line.split("#", 1)[0].strip()
            if name.startswith(ENTRY_POINT_PACKAGE) and name.replace(".", "").isidentifier():
                return name
    return ENTRY_POINT


def classpath(lib: Path) -> str:
    # The JVM expands the trailing '*' itself, so the command line stays short.
    return str(lib / "*")


def _jar_version(lib: Path) -> str | None:
    """The Neo4j version of the server jar in ``lib`` (neo4j-<version>.jar), if there is one."""
    for jar in lib.glob("neo4j-*.jar"):
        match = _SERVER_JAR.match(jar.name)
        if match:
            return match.group(1)
    return None


def _default_lib_dir(version: str) -> Path:
    return Path(platformdirs.user_cache_dir("graphmem")) / f"neo4j-{version}-lib"


def _run_maven(output_dir: Path, version: str) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jLauncherError(
            "Maven (mvn) is needed once, to fetch the Neo4j server jars from Maven Central: "
            f"install it (e.g. apt-get install maven), or set {LIB_DIR_ENV} to a directory "
            "that already holds them"
        )
    pom = launcher_project_dir() / "pom.xml"
    cmd = [
        mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
        f"-DoutputDirectory={output_dir}", f"-Dneo4j.version={version}",
    ]  # fmt: skip
    result = run(cmd, timeout=1800)
    if result.returncode != 0:
        shutil.rmtree(output_dir, ignore_errors=True)
        output = "\n".join((result.stdout + result.stderr).splitlines()[-LOG_TAIL_LINES:])
        raise Neo4jLauncherError(f"Maven could not fetch the Neo4j {version} jars:\n{output}")


def _publish_dir(partial: Path, final: Path) -> None:
    """Move a finished download into place; a concurrent finisher wins, ours is dropped."""
    if final.exists() and not (final / _RESOLVED_MARKER).is_file():
        shutil.rmtree(final, ignore_errors=True)
    try:
        partial.rename(final)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not (final / _RESOLVED_MARKER).is_file():
            raise Neo4jLauncherError(f"could not move the Neo4j jars into {final}") from None
