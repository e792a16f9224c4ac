"""Valid time: when a fact held in the world, and which of two conflicting facts is current.

graphmem keeps two time axes (the bi-temporal model): valid time, valid_from / valid_to,
when a fact was true in the world; and record time, created_at / invalidated_at, when
graphmem learned it or retired it. A third moment ties them together: observed_at, when the
message that stated the fact was written (the add's `timestamp`, a message's own
`timestamp`, else the moment of the add). A fact's valid_from is the date the extraction
or the caller gave it, else its observed_at (unless the fact had already ended by then:
"I lived in Berlin until 2020" has no known start); never the ingest clock when a time was
given.

When a new fact contradicts (or refines) a stored one, the one that speaks of the later
moment is current, not the one that arrived last. A fact "speaks of" the later of its
valid_from and its observed_at: "works at Umbrella", said on 2024-01-09, does not replace
"works at Tyrell", said on 2024-12-24, even when it is imported afterwards; it is placed
in history instead, closed when Tyrell began. "I moved to Amsterdam last spring", said
today, still replaces "I live in Berlin" said last month: it is the newer statement, though
the move it reports is older. An end is never put before a start: a fact is closed no
earlier than it began.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from graphmem.shapes import utc


@dataclass(frozen=True)
class Span:
    """What one fact says about time; None where nothing is known."""

    valid_from: datetime | None = None
    valid_to: datetime | None = None
    observed_at: datetime | None = None

    @property
    def speaks_of(self) -> datetime | None:
        """The latest moment the fact is known to describe."""
        known = [t for t in (self.valid_from, self.observed_at) if t is not None]
        return max(utc(t) for t in known) if known else None


def replaces(new: Span, old: Span) -> bool:
    """True when `new` is current over `old`: it speaks of the same or a later moment (or
    either moment is unknown, as for facts stored before graphmem kept observed_at)."""
    if new.speaks_of is None or old.speaks_of is None:
        return True
    return new.speaks_of >= old.speaks_of


def closing_time(end: datetime, start: datetime | None) -> datetime:
    """When a replaced fact ends: `end` (when its successor began), but never before its
    own `start`."""
    if start is not None and utc(start) > utc(end):
        return start
    return end
