"""A reusable checker for the graph invariants every write must keep, on the real database.

    report = check(driver, database)                      # the whole database
    report = check(driver, database, user_ids=[uid])      # only scopes of these users
    assert report.ok, report.describe()

Invariants (each a list of offending ids in the report, empty when it holds):

- every Fact has its Episode (`(:Fact)-[:FROM]->(:Episode)`, same scope);
- every relation between entities rests on a Fact of the same scope (`r.fact_id`);
- no orphan entities: every Entity is the object of at least one `ABOUT`;
- no duplicate entity keys per scope (the uniqueness constraint's promise, checked anyway);
- no graphmem node outside any scope: Fact, Entity, Episode and Change nodes carry a
  scope_key that a `(:Scope)` node owns;
- no edge crosses scopes (ABOUT, FROM, SUPERSEDES and entity relations stay in one scope).

The statements are the checker's own (tests may write Cypher; the package's live in
cypher/); the scope restriction travels as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver

# Applied to a node alias `n`: true when the node belongs to one of the checked users
# (or always, when no users were named).
_IN_SCOPE = "($user_ids IS NULL OR n.user_id IN $user_ids)"

CHECKS: dict[str, str] = {
    "facts_without_episode": """
        MATCH (n:Fact) WHERE {scope}
          AND NOT EXISTS {{ (n)-[:FROM]->(ep:Episode) WHERE ep.scope_key = n.scope_key }}
        RETURN n.id AS id""",
    "relations_without_fact": """
        MATCH (n:Entity)-[r]->(:Entity) WHERE {scope}
          AND NOT EXISTS {{ MATCH (f:Fact {{id: r.fact_id}}) WHERE f.scope_key = n.scope_key }}
        RETURN elementId(r) AS id""",
    "orphan_entities": """
        MATCH (n:Entity) WHERE {scope} AND NOT EXISTS {{ (:Fact)-[:ABOUT]->(n) }}
        RETURN n.id AS id""",
    "duplicate_entity_keys": """
        MATCH (n:Entity) WHERE {scope}
        WITH n.scope_key AS scope_key, n.key AS key, count(*) AS copies WHERE copies > 1
        RETURN scope_key + ' / ' + key AS id""",
    "nodes_outside_scopes": """
        MATCH (n) WHERE (n:Fact OR n:Entity OR n:Episode OR n:Change) AND {scope}
          AND (n.scope_key IS NULL OR NOT EXISTS {{ MATCH (s:Scope {{key: n.scope_key}}) }})
        RETURN coalesce(n.id, elementId(n)) AS id""",
    "edges_across_scopes": """
        MATCH (n)-[r]->(m) WHERE (n:Fact OR n:Entity) AND {scope}
          AND (m:Fact OR m:Entity OR m:Episode) AND m.scope_key <> n.scope_key
        RETURN type(r) + ' ' + coalesce(n.id, '') + '->' + coalesce(m.id, '') AS id""",
}


@dataclass
class Report:
    """What the checker found: per invariant, the offending ids (capped at `limit`)."""

    violations: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())

    def describe(self) -> str:
        broken = {k: v for k, v in self.violations.items() if v}
        return "invariants hold" if not broken else f"invariants broken: {broken}"


def check(
    driver: Driver, database: str, *, user_ids: list[str] | None = None, limit: int = 20
) -> Report:
    """Check every invariant over the database, or over the named users' scopes only."""
    report = Report()
    params: dict[str, Any] = {"user_ids": user_ids}
    for name, template in CHECKS.items():
        statement = template.format(scope=_IN_SCOPE) + f" LIMIT {int(limit)}"
        records, _, _ = driver.execute_query(statement, params, database_=database)
        report.violations[name] = [str(r["id"]) for r in records]
    report.counts = counts(driver, database, user_ids=user_ids)
    return report


def counts(driver: Driver, database: str, *, user_ids: list[str] | None = None) -> dict[str, int]:
    """How many facts, entities, episodes, changes and entity relations the scope holds."""
    records, _, _ = driver.execute_query(
        f"""
        CALL () {{ MATCH (n:Fact) WHERE {_IN_SCOPE} RETURN count(n) AS facts }}
        CALL () {{ MATCH (n:Entity) WHERE {_IN_SCOPE} RETURN count(n) AS entities }}
        CALL () {{ MATCH (n:Episode) WHERE {_IN_SCOPE} RETURN count(n) AS episodes }}
        CALL () {{ MATCH (n:Change) WHERE {_IN_SCOPE} RETURN count(n) AS changes }}
        CALL () {{
          MATCH (n:Entity)-[r]->(:Entity) WHERE {_IN_SCOPE} RETURN count(r) AS relations
        }}
        RETURN facts, entities, episodes, changes, relations""",
        {"user_ids": user_ids},
        database_=database,
    )
    return dict(records[0])


def snapshot(
    driver: Driver, database: str, *, exclude_user_ids: list[str] | None = None
) -> dict[str, Any]:
    """The database's shape outside the excluded users: node counts per label, relationship
    counts per type, plus the labels and types the database knows and its constraints and
    indexes. Equal snapshots mean nothing outside was created, deleted, relabelled or
    re-typed in between."""
    records, _, _ = driver.execute_query(
        "MATCH (s:Scope) WHERE s.user_id IN $x RETURN collect(s.key) AS keys",
        x=exclude_user_ids or [],
        database_=database,
    )
    # By user id, and by scope key for nodes without one (Change entries).
    params = {"x": exclude_user_ids or [], "keys": records[0]["keys"]}
    outside = "(NOT coalesce(n.user_id IN $x OR n.scope_key IN $keys, false))"

    def rows(statement: str) -> list[Any]:
        records, _, _ = driver.execute_query(statement, params, database_=database)
        return sorted(tuple(r.values()) for r in records)

    return {
        "nodes": rows(f"MATCH (n) WHERE {outside} UNWIND labels(n) AS l RETURN l, count(*)"),
        "unlabelled": rows(f"MATCH (n) WHERE {outside} AND size(labels(n)) = 0 RETURN count(n)"),
        "relationships": rows(
            f"MATCH (n)-[r]->(m) WHERE {outside} AND "
            f"{outside.replace('n.', 'm.')} RETURN type(r), count(*)"
        ),
        "labels": rows("CALL db.labels() YIELD label RETURN label"),
        "types": rows("CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType"),
        "schema": rows("SHOW CONSTRAINTS YIELD name RETURN name")
        + rows("SHOW INDEXES YIELD name, state RETURN name, state"),
    }
