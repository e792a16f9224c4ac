"""The lines of `graphmem import`: each read and checked on its own, so a bad one is reported
(with its number and the reason) and skipped, and the lines after it are still imported.

A line's own content decides whether it fails; a store that fails (Neo4j down) stops the
run instead, since every later line would fail the same way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphmem.errors import GraphMemError, InputError, StoreError

SCOPE_KEYS = ("user_id", "agent_id", "run_id")


@dataclass
class ImportReport:
    """What an import did: per line imported, failed (with why) or not attempted."""

    lines: int = 0
    imported: int = 0
    memories: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)
    stopped_at: int | None = None  # the line whose store failure ended the run
    not_attempted: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "imported": self.imported,
            "failed": len(self.failures),
            "memories": self.memories,
            "failed_lines": [{"line": n, "reason": why} for n, why in self.failures],
            "not_attempted": self.not_attempted,
        }

    def sentence(self) -> str:
        said = (
            f"imported {self.imported} of {self.lines} lines ({self.memories} memories); "
            f"{len(self.failures)} failed"
        )
        if self.failures:
            said += ": line " + ", ".join(str(n) for n, _ in self.failures[:20])
            said += ", ..." if len(self.failures) > 20 else ""
        if self.stopped_at is not None:
            said += f"; stopped at line {self.stopped_at}, {self.not_attempted} not attempted"
        return said


def parse_line(line: str) -> dict[str, Any]:
    """A JSONL line as a record: an object, or a list of messages (-> {"messages": [...]})."""
    try:
        record = json.loads(line)
    except RecursionError:
        raise InputError("the JSON nests too deeply") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc}") from None
    if isinstance(record, list):
        record = {"messages": record}
    if not isinstance(record, dict):
        raise InputError("a line must be a JSON object or a list of messages")
    return record


def line_scope(
    record: Mapping[str, Any], defaults: Mapping[str, str | None]
) -> dict[str, str | None]:
    """The line's scope: its own ids (which must be strings) win over --user/--agent/--run."""
    scope: dict[str, str | None] = {}
    for key in SCOPE_KEYS:
        value = record.get(key)
        if value is None:
            scope[key] = defaults.get(key)
        elif isinstance(value, str):
            scope[key] = value
        else:
            raise InputError(f"{key} must be a string, not {type(value).__name__}")
    return scope


def import_lines(
    lines: Iterable[str],
    add_line: Callable[[str], dict[str, Any]],
    on_failure: Callable[[int, str], None],
) -> ImportReport:
    """Run `add_line` on every non-blank line, collecting what each did.

    A line that fails for what it holds is reported (`on_failure(number, reason)`) and
    skipped; a StoreError ends the run. GRAPHMEM_CLI_TRACEBACK=1 lets unexpected errors
    raise, for debugging.
    """
    report = ImportReport()
    pending = list(lines)
    for number, line in enumerate(pending, 1):
        if not line.strip():
            continue
        report.lines += 1
        try:
            added = add_line(line)
        except StoreError as exc:
            report.failures.append((number, str(exc)))
            on_failure(number, str(exc))
            report.stopped_at = number
            report.not_attempted = sum(1 for rest in pending[number:] if rest.strip())
            report.lines += report.not_attempted
            break
        except GraphMemError as exc:
            reason = str(exc)
        except Exception as exc:  # a check missed something; the line is still only skipped
            if os.environ.get("GRAPHMEM_CLI_TRACEBACK"):
                raise
            reason = f"unexpected {type(exc).__name__}: {exc}"
        else:
            report.imported += 1
            report.memories += len(added.get("results", []))
            continue
        report.failures.append((number, reason))
        on_failure(number, reason)
    return report
