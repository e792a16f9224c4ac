"""Which Neo4j versions graphmem runs, and the Java each one needs (found, not guessed).

5.x runs on Java 17+, calendar versions (2025.01 and later) on Java 21+. The Java is
``java_home=`` if given, else $JAVA_HOME, else ``java`` on PATH; one too old is an error that
names the Java needed and any suitable JDK installed in the usual places.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from graphmem.config import NEO4J_VERSION_PATTERN
from graphmem.errors import Neo4jLauncherError
from graphmem.neo4j_server.process import run
from graphmem.neo4j_server.state import NEO4J_VERSION

MIN_JAVA = 17  # Neo4j 5.x
MIN_JAVA_CALENDAR = 21  # Neo4j 2025.01 and later (Java 25 from 2025.10)
FIRST_CALENDAR_MAJOR = 2025
# Where JDKs are usually installed (Debian/Ubuntu, RHEL, Docker images, macOS, SDKMAN, IntelliJ).
JDK_DIRS: tuple[str, ...] = (
    "/usr/lib/jvm",
    "/usr/java",
    "/opt/java",
    "/Library/Java/JavaVirtualMachines",
    "~/.sdkman/candidates/java",
    "~/.jdks",
)
_VERSION = re.compile(NEO4J_VERSION_PATTERN)
_JAVA_RELEASE = re.compile(r'^JAVA_VERSION="(\d+)(?:\.(\d+))?', re.MULTILINE)


def check_version(version: str) -> None:
    """Refuse what is not a Neo4j 5.x or calendar (2025.01+) release number."""
    match = _VERSION.match(version) if isinstance(version, str) else None
    major = int(version.split(".")[0]) if match else 0
    if major != 5 and major < FIRST_CALENDAR_MAJOR:
        raise Neo4jLauncherError(
            f"Neo4j version {version!r} is not one graphmem runs: name a 5.x release "
            f"(default {NEO4J_VERSION}) or a 2025.01-or-later one such as 2026.08.1, "
            "as published on Maven Central (org.neo4j:neo4j)"
        )


def required_java(version: str = NEO4J_VERSION) -> int:
    """The oldest Java major the Neo4j version runs on: 17 for 5.x, 21 from 2025.01."""
    check_version(version)
    calendar = int(version.split(".")[0]) >= FIRST_CALENDAR_MAJOR
    return MIN_JAVA_CALENDAR if calendar else MIN_JAVA


def find_java(version: str = NEO4J_VERSION, java_home: Path | str | None = None) -> tuple[str, int]:
    """The java executable for Neo4j ``version`` and its major version.

    ``java_home`` first (it must hold bin/java), then $JAVA_HOME, then PATH. Raises
    Neo4jLauncherError when none is found or it is older than ``required_java(version)``;
    the message names the Java needed and suitable JDKs found in the usual places.
    """
    needed = required_java(version)
    if java_home is not None:
        java = Path(java_home).expanduser() / "bin" / "java"
        if not java.is_file():
            raise Neo4jLauncherError(f"{java_home} is not a JDK: it has no bin/java")
        candidate: str | None = str(java)
    else:
        candidate = _java_candidate()
    if candidate is None:
        raise Neo4jLauncherError(
            f"Java {needed} or newer is needed to run Neo4j {version} without Docker, and "
            f"none was found: install a JDK (e.g. apt-get install openjdk-{needed}-jre-headless) "
            f"or set JAVA_HOME{_suitable_javas_hint(needed)}"
        )
    result = run([candidate, "-version"], timeout=60)
    major = java_major_version(result.stderr + result.stdout)
    if major < needed:
        raise Neo4jLauncherError(
            f"{candidate} is Java {major}; Neo4j {version} needs Java {needed} or newer. "
            "Install a newer JDK and point JAVA_HOME at it (or, for graphmem only, "
            f"GRAPHMEM_NEO4J_JAVA_HOME / `graphmem neo4j start --java-home`)"
            f"{_suitable_javas_hint(needed)}"
        )
    return candidate, major


def installed_javas() -> list[tuple[Path, int]]:
    """JDKs in the usual install places (JDK_DIRS) as (java home, major), newest first.

    Read from each JDK's ``release`` file, so no JVM is started.
    """
    found: dict[Path, int] = {}
    for root in JDK_DIRS:
        base = Path(root).expanduser()
        try:
            children = sorted(base.iterdir()) if base.is_dir() else []
        except OSError:
            continue
        for child in children:
            home = child / "Contents" / "Home" if (child / "Contents" / "Home").is_dir() else child
            major = _release_major(home)
            if major is not None and (home / "bin" / "java").is_file():
                found.setdefault(home.resolve(), major)
    return sorted(found.items(), key=lambda item: (-item[1], str(item[0])))


def java_major_version(version_output: str) -> int:
    """The major version in ``java -version`` output ("1.8.0_392" -> 8, "17.0.15" -> 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        raise Neo4jLauncherError(f"cannot read the Java version from: {version_output.strip()!r}")
    major = int(match.group(1))
    if major == 1 and match.group(2):
        return int(match.group(2))
    return major


def _java_candidate() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file():
            return str(candidate)
    return shutil.which("java")


def _suitable_javas_hint(needed: int) -> str:
    suitable = [f"{home} (Java {major})" for home, major in installed_javas() if major >= needed]
    return f". Installed and new enough: {', '.join(suitable)}" if suitable else ""


def _release_major(java_home: Path) -> int | None:
    """The major version in a JDK's ``release`` file, None when there is none."""
    try:
        text = (java_home / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = _JAVA_RELEASE.search(text)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major
