"""A scope's relation vocabulary rebuilt from what it stores.

Recall matches a question's words against the words each relation type's facts use
(RelationWords: "boss", "manager" for MANAGES; graphmem/relations.py). write/batch appends
them as it writes each fact's relations, so a scope that got its facts another way had
none: a restored or copied scope (write/restore writes the graph, not through write/batch)
and a scope written before graphmem kept them. Their relational questions then matched
only the types' own names ("manages"), and "Where does Alice's boss live?" lost its path.

The words are a function of the stored graph (each relation's fact text, less the names of
its two ends: words.relation_words, as write/batch takes them), so they are rebuilt from it
whole, under the scope's lock: a restore rebuilds the scopes it wrote, in its own
transaction; `graphmem upgrade` rebuilds every scope with relations and no vocabulary
(graphmem/upgrade.py).
"""

from __future__ import annotations

from neo4j import ManagedTransaction

from graphmem.models import Scope
from graphmem.store.cypher import query
from graphmem.store.neo4j import VOCABULARY_WINDOW
from graphmem.words import relation_words


def rebuild_in(tx: ManagedTransaction, scope: Scope) -> int:
    """Replace the scope's RelationWords by those its stored relations' facts give, inside
    the caller's transaction (which holds the scope's lock). Returns how many types."""
    words: dict[str, list[str]] = {}
    for row in tx.run(query("vocabulary/sources"), {"scope_key": scope.key}):
        words.setdefault(row["type"], []).extend(
            relation_words(row["text"], row["source"], row["target"])
        )
    rows = [{"type": kind, "words": found} for kind, found in words.items()]
    params = {"scope_key": scope.key, "rows": rows, "vocabulary_window": VOCABULARY_WINDOW}
    record = tx.run(query("vocabulary/replace"), params).single()
    return int(record["types"]) if record else 0
