"""Rerankers: an optional stage after recall that reorders what it returned.

Off by default (`reranker_provider` unset). Memory.search asks recall for
CANDIDATES_PER_RESULT times top_k results, scores them with the reranker, keeps the best
top_k and renders the context again from them; each result keeps recall's `score` and gains
`rerank_score`. Two rerankers, behind one interface (base.Reranker):

- "llm": one call per search through the configured LLM provider (reranker_model, else
  llm_model), graphmem/rerank/llm.py;
- "cross_encoder": an ONNX cross-encoder in a local folder (reranker_path), run with
  onnxruntime, graphmem/rerank/cross_encoder.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from graphmem import context
from graphmem.errors import ConfigError
from graphmem.rerank.base import Reranker

if TYPE_CHECKING:
    from graphmem.config import Settings
    from graphmem.llm.base import LLM

__all__ = ["CANDIDATES_PER_RESULT", "Reranker", "get_reranker", "rerank"]

# Recall is asked for this many candidates per result the caller wants reranked.
CANDIDATES_PER_RESULT = 3


def get_reranker(settings: Settings, llm: Callable[[], LLM]) -> Reranker | None:
    """The configured reranker, or None when reranking is off. `llm` gives the Memory's own
    LLM, which the LLM reranker shares unless reranker_model names another model."""
    provider = settings.reranker_provider
    if provider is None:
        return None
    if provider == "llm":
        from graphmem.llm import get_llm
        from graphmem.rerank.llm import LLMReranker

        model = settings.reranker_model
        if model is None or model == settings.llm_model:
            return LLMReranker(llm, owned=False)
        own = get_llm(settings.model_copy(update={"llm_model": model}))
        return LLMReranker(lambda: own, owned=True)
    from graphmem.rerank.cross_encoder import CrossEncoderReranker

    if settings.reranker_path is None:
        raise ConfigError(
            "reranker_provider = cross_encoder needs reranker_path (GRAPHMEM_RERANKER_PATH): "
            "a folder holding the cross-encoder's model.onnx and tokenizer.json"
        )
    return CrossEncoderReranker(settings.reranker_path.expanduser())


def rerank(
    reranker: Reranker, query: str, found: Mapping[str, Any], top_k: int, context_tokens: int
) -> dict[str, Any]:
    """Recall's answer reordered by the reranker and cut to top_k: results (with
    `rerank_score`), the relations resting on the kept ones, and their context."""
    results = [dict(r) for r in found["results"]]
    scores = reranker.scores(query, [r["memory"] for r in results])
    for result, score in zip(results, scores, strict=True):
        result["rerank_score"] = score
    # A stable sort: ties keep recall's order.
    kept = sorted(results, key=lambda r: -r["rerank_score"])[:top_k]
    ids = {r["id"] for r in kept}
    relations = [r for r in found["relations"] if r.get("fact_id") in ids]
    return {
        **found,
        "results": kept,
        "relations": relations,
        "context": context.render(kept, relations, context_tokens),
    }
