"""The one sanitiser for names that come from outside and end up as graph identifiers.

Relation types and entity labels come from the LLM and metadata keys from callers;
none of them is ever trusted text. They reach Cypher only as parameters (dynamic
labels and types, `n[$key]`), and are also squeezed into a strict alphabet here so
that what lands in the graph is readable in Browser and safe for any later use.
"""

from __future__ import annotations

import re
from functools import lru_cache

from graphmem.errors import InputError

MAX_RELATION_TYPE = 50
MAX_ENTITY_TYPE = 40
MAX_METADATA_KEY = 64
RELATION_TYPE = re.compile(r"^[A-Z][A-Z0-9_]*$")
ENTITY_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]*$")
METADATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
DEFAULT_RELATION = "RELATED_TO"
DEFAULT_ENTITY_TYPE = "Thing"
# Labels graphmem uses itself: an entity type may not borrow them.
RESERVED_LABELS = frozenset(
    {
        "Entity",
        "Fact",
        "Episode",
        "Change",
        "Scope",
        "RelationWords",
        "Erasure",
        "EmbeddingSpace",
        "ReembedJob",
    }
)
# The type a relation takes once it no longer holds (superseded, or ended before it was
# stored); its own type moves to the property `relation`. Browser's "connect result nodes"
# then draws it as what it is, history (cypher/browser/graphmem.grass styles it), never as a
# current LIVES_IN. The Cypher files name it literally ('WAS').
HISTORY_RELATION = "WAS"
# Relationship types graphmem uses itself: a relation from outside may not borrow them.
RESERVED_RELATIONS = frozenset({"ABOUT", "FROM", "SUPERSEDES", HISTORY_RELATION})


# Both sanitisers are pure and cached: a bulk add sanitises the same few types per fact.
@lru_cache(maxsize=4096)
def relation_type(raw: str) -> str:
    """UPPER_SNAKE relation type from free text: "lives in" -> "LIVES_IN"."""
    words = re.findall(r"[A-Za-z0-9]+", raw)
    candidate = "_".join(w.upper() for w in words)[:MAX_RELATION_TYPE].strip("_")
    if not candidate or not candidate[0].isalpha():
        return DEFAULT_RELATION
    if candidate in RESERVED_RELATIONS:
        return f"{candidate}_RELATION"
    return candidate


@lru_cache(maxsize=4096)
def entity_type(raw: str) -> str:
    """PascalCase entity label from free text: "programming language" -> "ProgrammingLanguage"."""
    words = re.findall(r"[A-Za-z0-9]+", raw)
    candidate = "".join(w[:1].upper() + w[1:] for w in words)[:MAX_ENTITY_TYPE]
    if not candidate or not candidate[0].isalpha() or candidate in RESERVED_LABELS:
        return DEFAULT_ENTITY_TYPE
    return candidate


def metadata_key(raw: str) -> str:
    """A metadata key as given, or InputError: keys are never rewritten silently."""
    if not isinstance(raw, str) or not METADATA_KEY.fullmatch(raw):
        raise InputError(
            f"metadata key {raw!r} is not allowed: use letters, digits and _ "
            f"(at most {MAX_METADATA_KEY}, not starting with a digit)"
        )
    return raw
