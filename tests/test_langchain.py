"""The LangChain retriever and tool over search(), and GraphDocuments through add_facts,
on the real Neo4j and embedder."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graphmem.memory import Memory
from graphmem.resources import resource_dir

pytest.importorskip("langchain_core")
from langchain_core.documents import Document
from pydantic import BaseModel, Field

from graphmem.integrations.langchain import (
    GraphMemRetriever,
    GraphMemSearchTool,
    add_graph_documents,
    graph_document_facts,
)

SAMPLE = json.loads((resource_dir("data") / "sample_conversation.json").read_text())

try:  # the maintained home of GraphDocument (LLMGraphTransformer's output type)
    from langchain_neo4j.graphs.graph_document import GraphDocument, Node, Relationship
except ImportError:
    try:  # the older home
        from langchain_community.graphs.graph_document import GraphDocument, Node, Relationship
    except ImportError:
        # Neither is installed: the same pydantic shape, field for field.
        class Node(BaseModel):  # type: ignore[no-redef]
            id: str | int
            type: str = "Node"
            properties: dict[str, Any] = Field(default_factory=dict)

        class Relationship(BaseModel):  # type: ignore[no-redef]
            source: Node
            target: Node
            type: str
            properties: dict[str, Any] = Field(default_factory=dict)

        class GraphDocument(BaseModel):  # type: ignore[no-redef]
            nodes: list[Node]
            relationships: list[Relationship]
            source: Document


@pytest.fixture
def alice(memory: Memory, user_id: str) -> str:
    memory.add_facts(SAMPLE["facts"], user_id=user_id)
    return user_id


def test_retriever_returns_documents(memory: Memory, alice: str) -> None:
    retriever = GraphMemRetriever(memory=memory, user_id=alice, top_k=3)
    docs = retriever.invoke("Where does Alice live?")
    assert 1 <= len(docs) <= 3
    assert "Amsterdam" in docs[0].page_content
    assert docs[0].id == docs[0].metadata["id"]
    assert set(docs[0].metadata["scores"]) == {"vector", "graph", "lexical", "path"}


def test_retriever_stays_in_its_scope(memory: Memory, alice: str) -> None:
    stranger = GraphMemRetriever(memory=memory, user_id=f"{alice}-stranger")
    assert stranger.invoke("Where does Alice live?") == []


def test_tool_answers_with_the_context_block(memory: Memory, alice: str) -> None:
    tool = GraphMemSearchTool(memory=memory, user_id=alice)
    assert tool.name == "search_memory"
    assert tool.tool_call_schema.model_json_schema()["required"] == ["query"]
    answer = tool.invoke({"query": "Who is Carol?"})
    assert "Carol" in answer and "SISTER_OF" in answer
    empty = GraphMemSearchTool(memory=memory, user_id=f"{alice}-empty")
    assert empty.invoke({"query": "Who is Carol?"}) == "No relevant memories."


def graph_document() -> Any:
    dana = Node(id="Dana", type="Person")
    ghent = Node(id="Ghent", type="City")
    bees = Node(id="Beekeeping", type="Hobby")
    rust = Node(id="Rust", type="Technology")
    return GraphDocument(
        nodes=[dana, ghent, bees, rust],
        relationships=[
            Relationship(source=dana, target=ghent, type="LIVES_IN"),
            Relationship(source=dana, target=bees, type="HAS_HOBBY"),
        ],
        source=Document(
            page_content="Dana lives in Ghent and keeps bees. Rust is mentioned.",
            metadata={"source": "notes.txt", "page": 3, "tags": ["dropped: not a scalar"]},
        ),
    )


def test_graph_document_facts() -> None:
    facts = graph_document_facts(graph_document())
    assert [f["text"] for f in facts] == [
        "Dana lives in Ghent",
        "Dana has hobby Beekeeping",
        "Rust is a Technology",
    ]
    assert facts[0]["relations"] == [{"source": "Dana", "relation": "LIVES_IN", "target": "Ghent"}]
    assert facts[0]["metadata"] == {"source": "notes.txt", "page": 3}


def test_graph_documents_go_through_add_facts(memory: Memory, user_id: str) -> None:
    added = add_graph_documents(memory, [graph_document()], user_id=user_id)
    assert len(added["results"]) == 3
    assert {
        (r["source"], r["relationship"], r["destination"])
        for r in added["relations"]["added_entities"]
    } == {("Dana", "LIVES_IN", "Ghent"), ("Dana", "HAS_HOBBY", "Beekeeping")}
    relations = memory.relations(user_id=user_id)["results"]
    assert {(r["source"], r["relation"], r["target"]) for r in relations} == {
        ("Dana", "LIVES_IN", "Ghent"),
        ("Dana", "HAS_HOBBY", "Beekeeping"),
    }
    types = {e["name"]: e["type"] for e in memory.entities(user_id=user_id)["results"]}
    assert types == {"Dana": "Person", "Ghent": "City", "Beekeeping": "Hobby", "Rust": "Technology"}
    found = memory.search("Where does Dana live?", user_id=user_id, top_k=1)["results"][0]
    assert found["memory"] == "Dana lives in Ghent"
    assert found["metadata"] == {"source": "notes.txt", "page": 3}
