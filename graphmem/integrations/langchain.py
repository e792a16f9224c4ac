"""LangChain: a retriever and an agent tool over Memory.search(), and GraphDocuments in.

Which LangChain packages, and why (checked November 2026):

- langchain-core is the maintained base every LangChain integration builds on; it holds
  BaseRetriever, BaseTool and Document, which is all graphmem needs. It is the only
  dependency (`pip install 'graphmem[langchain]'`).
- langchain-neo4j (the Neo4j partner package) is maintained and, since 0.10, is where
  GraphDocument and LLMGraphTransformer live. graphmem does not depend on it: its Neo4jGraph
  would be a second write path that skips graphmem's scopes, resolution and validity, so
  GraphDocuments are read by shape (nodes, relationships, source) and written through
  Memory.add_facts, whichever package produced them.
- langchain-community's graph classes are the older home (re-exported by langchain-classic's
  deprecation lookups); documents from them have the same shape and are accepted too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from graphmem.identifiers import METADATA_KEY
from graphmem.memory import Memory

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.tools import BaseTool
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "graphmem's LangChain integration needs langchain-core: pip install 'graphmem[langchain]'"
    ) from exc

SCALARS = (str, int, float, bool)


class _Scoped(BaseModel):
    """The scope every search runs in; set once when the retriever or tool is built."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    memory: Memory
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    top_k: int = Field(default=5, ge=1, le=100)
    filters: dict[str, Any] | None = None

    def _search(self, query: str) -> dict[str, Any]:
        return self.memory.search(
            query,
            user_id=self.user_id,
            agent_id=self.agent_id,
            run_id=self.run_id,
            filters=self.filters,
            top_k=self.top_k,
        )


class GraphMemRetriever(_Scoped, BaseRetriever):
    """Memory.search() as a LangChain retriever: one Document per recalled fact, with its
    id, score parts, entities and metadata in Document.metadata."""

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [to_document(item) for item in self._search(query)["results"]]


class SearchArgs(BaseModel):
    query: str = Field(description="What to recall about the user, in plain words.")


class GraphMemSearchTool(_Scoped, BaseTool):
    """An agent tool: recall from long-term memory; answers with graphmem's context block
    (facts and the relations between the entities they mention)."""

    name: str = "search_memory"
    description: str = (
        "Recall what is known about the user and earlier conversations: facts, people, "
        "places and how they relate. Input: a question or keywords."
    )
    args_schema: type[BaseModel] = SearchArgs

    def _run(self, query: str, **_: Any) -> str:
        found = self._search(query)
        return found.get("context") or "No relevant memories."


def to_document(item: Mapping[str, Any]) -> Document:
    """One search result as a Document (page_content = the fact)."""
    metadata = {
        "id": item["id"],
        "score": item.get("score"),
        "scores": item.get("scores", {}),
        "entities": item.get("entities", []),
        "status": item.get("status"),
        "valid_from": item.get("valid_from"),
        "valid_to": item.get("valid_to"),
        **{f"meta_{k}": v for k, v in (item.get("metadata") or {}).items()},
    }
    return Document(page_content=item["memory"], metadata=metadata, id=item["id"])


# -- GraphDocuments in ----------------------------------------------------------


def add_graph_documents(
    memory: Memory,
    documents: Iterable[Any],
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Store LangChain GraphDocuments (e.g. LLMGraphTransformer's output) as pre-extracted
    facts through Memory.add_facts: no LLM call, same resolution and scopes as add().

    Each relationship becomes a fact ("Alice works at Acme Corp") carrying the triple and
    both typed entities; a node no relationship mentions becomes a fact of its own
    ("Kafka is a Technology"). The source Document's scalar metadata travels along.
    """
    facts: list[dict[str, Any]] = []
    for doc in documents:
        facts += graph_document_facts(doc)
    if not facts:
        return {
            "results": [],
            "relations": {"added_entities": [], "deleted_entities": [], "superseded": []},
        }
    return memory.add_facts(
        facts, user_id=user_id, agent_id=agent_id, run_id=run_id, metadata=metadata
    )


def graph_document_facts(doc: Any) -> list[dict[str, Any]]:
    """The facts one GraphDocument holds, as add_facts() dicts."""
    meta = _source_metadata(getattr(doc, "source", None))
    facts, linked = [], set()
    for rel in doc.relationships:
        source, target = _entity(rel.source), _entity(rel.target)
        linked |= {_node_key(rel.source), _node_key(rel.target)}
        facts.append(
            {
                "text": f"{source['name']} {_verb(rel.type)} {target['name']}",
                "entities": [source, target],
                "relations": [
                    {"source": source["name"], "relation": rel.type, "target": target["name"]}
                ],
                "metadata": meta,
            }
        )
    for node in doc.nodes:
        if _node_key(node) not in linked:
            entity = _entity(node)
            text = f"{entity['name']} is a {_words(entity['type'])}"
            facts.append({"text": text, "entities": [entity], "metadata": meta})
    return facts


def _entity(node: Any) -> dict[str, str]:
    return {"name": str(node.id), "type": str(getattr(node, "type", None) or "Thing")}


def _node_key(node: Any) -> tuple[str, str]:
    return (str(node.id), str(getattr(node, "type", "")))


def _verb(relation_type: str) -> str:
    """WORKS_AT -> "works at": LLMGraphTransformer's UPPER_SNAKE types, read aloud."""
    return _words(relation_type).lower()


def _words(identifier: str) -> str:
    spaced = identifier.replace("_", " ")
    return " ".join(spaced.split()) or identifier


def _source_metadata(source: Any) -> dict[str, Any]:
    """The source Document's metadata, scalars only (graphmem metadata keys are strict)."""
    raw = getattr(source, "metadata", None) or {}
    return {
        k: v
        for k, v in raw.items()
        if isinstance(k, str) and METADATA_KEY.fullmatch(k) and isinstance(v, SCALARS)
    }


__all__: Sequence[str] = (
    "GraphMemRetriever",
    "GraphMemSearchTool",
    "add_graph_documents",
    "graph_document_facts",
    "to_document",
)
