"""A scripted LLM that extracts from a table and resolves conflicts from a list.

Plugged into the scripted HTTP server (`server.responder = FactsLLM(...)`), so the real
clients carry every request. An extraction request is answered with the table's entry for
the message text it contains (nothing for unknown text); a resolution request marks a new
fact as CONTRADICTS for each offered existing fact listed with it in `contradicts`, and as
ADD otherwise. Every resolution payload is kept in `resolutions` for tests to read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fact:
    """What a good model would extract from one message."""

    text: str
    entities: list[tuple[str, str]]
    relations: list[tuple[str, str, str]] = field(default_factory=list)
    valid_from: str | None = None


@dataclass
class FactsLLM:
    table: dict[str, Fact]
    contradicts: set[frozenset[str]] = field(default_factory=set)
    resolutions: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: Any) -> str:
        system = request.messages[0]["content"]
        user = request.messages[-1]["content"]
        if system.startswith("You extract"):
            found = [fact for said, fact in self.table.items() if said in user]
            return json.dumps(extraction(found))
        if system.startswith("You keep"):
            payload = json.loads(user)
            self.resolutions.append(payload)
            return json.dumps(self._resolve(payload))
        raise AssertionError(f"unexpected prompt: {system[:80]!r}")

    def _resolve(self, payload: dict[str, Any]) -> dict[str, Any]:
        facts = []
        for item in payload.get("new_facts", []):
            hits = [
                c["id"]
                for c in item["existing_facts"]
                if frozenset({item["text"], c["text"]}) in self.contradicts
            ]
            event = "CONTRADICTS" if hits else "ADD"
            facts.append({"id": item["id"], "event": event, "existing": hits})
        entities = [{"id": e["id"], "same_as": None} for e in payload.get("new_entities", [])]
        return {"entities": entities, "facts": facts}


def extraction(facts: list[Fact]) -> dict[str, Any]:
    """The Extraction JSON a model would send for these facts."""
    entities: dict[str, str] = {}
    out_facts, relations = [], []
    for number, fact in enumerate(facts, start=1):
        for name, kind in fact.entities:
            entities.setdefault(name, kind)
        out_facts.append(
            {
                "id": number,
                "text": fact.text,
                "entities": [name for name, _ in fact.entities],
                "valid_from": fact.valid_from,
            }
        )
        for source, kind, target in fact.relations:
            relations.append({"source": source, "type": kind, "target": target, "fact": number})
    return {
        "facts": out_facts,
        "entities": [{"name": n, "type": t} for n, t in entities.items()],
        "relations": relations,
    }
