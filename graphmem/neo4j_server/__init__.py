"""Start, stop and inspect a local Neo4j server for graphmem.

Two ways to run it, both the real Neo4j Community engine:

- ``docker``: ``docker compose`` with docker/compose.yml, used when ``docker info`` answers.
- ``launcher``: no Docker. Maven fetches the server jars from Maven Central once (cached under
  the user cache dir), then ``java -cp <jars> <entry point>`` runs detached, with a neo4j.conf
  written under ``home/conf``. The entry point is the one the jars declare
  (org.neo4j.server.CommunityEntryPoint on 5.x, org.neo4j.server.Neo4jCommunity on 2026.x).

The version is 5.26.30 (the LTS) unless ``version=`` names another one on Maven Central:
5.x runs on Java 17+, calendar versions (2025.01 and later) on Java 21+.

Each server owns a home directory holding its configuration, data, logs and a state file, so
``start`` is idempotent per home and ``stop``/``status`` work from another process.

The package, by concern: ``control`` (start/stop/status), ``launcher`` (no-Docker mode),
``docker``, ``conf`` (options, neo4j.conf, the JVM command), ``jars`` (Maven resolution),
``versions`` (Neo4j versions and their Java), ``process`` (process control), ``readiness``,
``credentials`` (the password: random per install, owner-only) and ``state`` (the records a
home keeps).
"""

from __future__ import annotations

from graphmem.neo4j_server.conf import JVM_FLAGS, MAX_INITIAL_HEAP
from graphmem.neo4j_server.control import start, status, stop
from graphmem.neo4j_server.credentials import (
    PASSWORD_FILE,
    ROTATE_HINT,
    password_path,
    rotate_password,
    secure_dir,
)
from graphmem.neo4j_server.docker import COMPOSE_PROJECT, COMPOSE_SERVICE
from graphmem.neo4j_server.jars import (
    ADMIN_TOOL,
    ENTRY_POINT,
    ENTRY_POINT_SERVICE,
    LIB_DIR_ENV,
    compose_file,
    ensure_jars,
    entry_point,
    launcher_project_dir,
)
from graphmem.neo4j_server.process import LOG_TAIL_LINES
from graphmem.neo4j_server.state import (
    NEO4J_USER,
    NEO4J_VERSION,
    PID_FILE,
    STATE_FILE,
    Mode,
    ServerInfo,
    ServerStatus,
)
from graphmem.neo4j_server.versions import (
    FIRST_CALENDAR_MAJOR,
    JDK_DIRS,
    MIN_JAVA,
    MIN_JAVA_CALENDAR,
    check_version,
    find_java,
    installed_javas,
    java_major_version,
    required_java,
)

__all__ = [
    "ADMIN_TOOL",
    "COMPOSE_PROJECT",
    "COMPOSE_SERVICE",
    "ENTRY_POINT",
    "ENTRY_POINT_SERVICE",
    "FIRST_CALENDAR_MAJOR",
    "JDK_DIRS",
    "JVM_FLAGS",
    "LIB_DIR_ENV",
    "LOG_TAIL_LINES",
    "MAX_INITIAL_HEAP",
    "MIN_JAVA",
    "MIN_JAVA_CALENDAR",
    "NEO4J_USER",
    "NEO4J_VERSION",
    "PASSWORD_FILE",
    "PID_FILE",
    "ROTATE_HINT",
    "STATE_FILE",
    "Mode",
    "ServerInfo",
    "ServerStatus",
    "check_version",
    "compose_file",
    "ensure_jars",
    "entry_point",
    "find_java",
    "installed_javas",
    "java_major_version",
    "launcher_project_dir",
    "password_path",
    "required_java",
    "rotate_password",
    "secure_dir",
    "start",
    "status",
    "stop",
]
