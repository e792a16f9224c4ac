"""Rerankers after recall: the LLM reranker through the scripted server (one call per
search, off by default) and a cross-encoder run with onnxruntime from a folder the test
builds (a tiny ONNX model and the real MiniLM tokenizer)."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from graphmem.config import Settings
from graphmem.embed.local import LocalEmbedder
from graphmem.errors import ConfigError
from graphmem.memory import Memory
from graphmem.rerank import get_reranker
from graphmem.rerank.cross_encoder import CrossEncoderReranker
from tests.scripted_llm import ScriptedLLMServer

FACTS = [
    "Alice walks her dog Rex every morning",
    "Alice's sister Carol lives in Utrecht",
    "Alice works as a nurse in Leiden",
    "Alice is allergic to peanuts",
]


def reranking_memory(settings: Settings, embedder: LocalEmbedder, **overrides: object) -> Memory:
    return Memory(settings.model_copy(update=overrides), embedder=embedder)


@pytest.fixture
def stored(memory: Memory, user_id: str) -> str:
    memory.add_facts(FACTS, user_id=user_id)
    return user_id


def test_no_reranker_by_default_and_no_llm_call(
    memory: Memory, stored: str, scripted_llm: ScriptedLLMServer
) -> None:
    assert memory.reranker is None
    found = memory.search("Who is Alice's sister?", user_id=stored, top_k=2)
    assert scripted_llm.chat_requests == []
    assert all("rerank_score" not in r for r in found["results"])


def test_the_llm_reranker_reorders_with_one_call_per_search(
    settings: Settings,
    embedder: LocalEmbedder,
    stored: str,
    scripted_llm: ScriptedLLMServer,
) -> None:
    with reranking_memory(
        settings, embedder, llm_base_url=scripted_llm.url, reranker_provider="llm"
    ) as memory:
        plain = memory.search("What is Alice allergic to?", user_id=stored, rerank=False)
        assert scripted_llm.chat_requests == []
        order = [r["memory"] for r in plain["results"]]
        # The model ranks the last candidate first and the first second, and leaves out
        # the rest: those follow in recall's order.
        scripted_llm.script([json.dumps({"ranking": [len(order) - 1, 0]})])
        found = memory.search("What is Alice allergic to?", user_id=stored, top_k=3)

    (request,) = scripted_llm.chat_requests
    assert request.schema is not None and request.schema["title"] == "Ranking"
    assert "Question: What is Alice allergic to?" in request.prompt_text
    assert all(f"] {text}" in request.prompt_text for text in order)  # every candidate, once
    assert [r["memory"] for r in found["results"]] == [order[-1], order[0], order[1]]
    scores = [r["rerank_score"] for r in found["results"]]
    assert scores[0] == 1.0 and scores[0] > scores[1] > scores[2] == 0.0
    assert all(r["score"] is not None for r in found["results"])  # recall's score stays
    kept = {r["id"] for r in found["results"]}
    assert all(rel["fact_id"] in kept for rel in found["relations"])
    assert found["context"].count("\n- ") == 3


def test_an_unusable_ranking_keeps_recalls_order(
    settings: Settings,
    embedder: LocalEmbedder,
    stored: str,
    scripted_llm: ScriptedLLMServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with reranking_memory(
        settings, embedder, llm_base_url=scripted_llm.url, reranker_provider="llm"
    ) as memory:
        plain = memory.search("Where does Carol live?", user_id=stored, top_k=2, rerank=False)
        scripted_llm.script(["I think the second one is best."])
        found = memory.search("Where does Carol live?", user_id=stored, top_k=2)
    assert [r["id"] for r in found["results"]] == [r["id"] for r in plain["results"]]
    assert "unusable" in caplog.text


# -- the cross-encoder ---------------------------------------------------------------------


def build_cross_encoder(folder: Path, tokenizer: Path, favourite: str) -> Path:
    """A tiny ONNX 'cross-encoder' in `folder`: its logit is 4 x the number of times the
    document (the pair's second segment) holds the word-piece `favourite`, minus 2. Real
    inputs and outputs of a BERT cross-encoder (input_ids, attention_mask, token_type_ids
    -> logits [batch, 1]), so the tokenizer, the pairing and the scoring are the real ones."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    from tokenizers import Tokenizer

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(tokenizer / "tokenizer.json", folder / "tokenizer.json")
    vocab = Tokenizer.from_file(str(folder / "tokenizer.json")).get_vocab()
    weights = [0.0] * len(vocab)
    weights[vocab[favourite]] = 4.0
    batch = ["batch", "tokens"]
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["weights", "input_ids"], ["per_token"]),
            helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
            helper.make_node("Cast", ["token_type_ids"], ["segment"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["per_token", "mask"], ["masked"]),
            helper.make_node("Mul", ["masked", "segment"], ["in_document"]),
            helper.make_node("ReduceSum", ["in_document", "axis"], ["total"], keepdims=1),
            helper.make_node("Sub", ["total", "bias"], ["logits"]),
        ],
        "tiny_cross_encoder",
        [
            helper.make_tensor_value_info(name, TensorProto.INT64, batch)
            for name in ("input_ids", "attention_mask", "token_type_ids")
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1])],
        [
            helper.make_tensor("weights", TensorProto.FLOAT, [len(weights)], weights),
            helper.make_tensor("axis", TensorProto.INT64, [1], [1]),
            helper.make_tensor("bias", TensorProto.FLOAT, [1], [2.0]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / "model.onnx"))
    return folder


def test_the_cross_encoder_scores_pairs_with_onnxruntime(tmp_path: Path, model_path: Path) -> None:
    folder = build_cross_encoder(tmp_path / "ce", model_path, "peanuts")
    reranker = CrossEncoderReranker(folder)
    # The query's own "peanuts" is the first segment: it must not count.
    scores = reranker.scores("peanuts?", ["Alice walks Rex", "Alice is allergic to peanuts"])
    assert scores[0] == pytest.approx(1 / (1 + 2.718281828**2), rel=1e-4)  # sigmoid(-2)
    assert scores[1] == pytest.approx(1 / (1 + 2.718281828**-2), rel=1e-4)  # sigmoid(2)
    assert reranker.scores("q", []) == []


def test_search_with_the_cross_encoder(
    settings: Settings, embedder: LocalEmbedder, model_path: Path, tmp_path: Path
) -> None:
    folder = build_cross_encoder(tmp_path / "ce", model_path, "rex")
    user = f"test-{uuid.uuid4().hex[:12]}"
    with reranking_memory(
        settings, embedder, reranker_provider="cross_encoder", reranker_path=folder
    ) as memory:
        try:
            memory.add_facts(FACTS, user_id=user)
            plain = memory.search("Where does Carol live?", user_id=user, top_k=1, rerank=False)
            # top_k 2: recall is asked for 6 candidates, so every fact is one.
            found = memory.search("Where does Carol live?", user_id=user, top_k=2)
        finally:
            memory.reset(user_id=user)
    assert plain["results"][0]["memory"] == "Alice's sister Carol lives in Utrecht"
    # The favourite word wins; ties (every other fact) keep recall's order.
    assert [r["memory"] for r in found["results"]] == [
        "Alice walks her dog Rex every morning",
        "Alice's sister Carol lives in Utrecht",
    ]
    assert found["results"][0]["rerank_score"] > 0.5 > found["results"][1]["rerank_score"]


def test_reranker_settings_are_checked(settings: Settings, model_path: Path) -> None:
    with pytest.raises(ConfigError, match="reranker_path"):
        get_reranker(settings.model_copy(update={"reranker_provider": "cross_encoder"}), None)
    with pytest.raises(ConfigError, match=r"no model\.onnx"):
        CrossEncoderReranker(model_path.parent)
