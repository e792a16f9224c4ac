"""The LLM reranker: one call per search, through the configured LLM provider.

The model sees the question and the candidates as a numbered list (numbers, never ids) and
answers {"ranking": [numbers, best first]} under a JSON schema (prompts/rerank.v1.md). The
k-th of n ranked candidates scores 1 - k/n; candidates it left out score 0 and keep recall's
order after the ranked ones. An answer that cannot be read leaves recall's order (a logged
warning, every score 0): the search still answers. An LLM that cannot be reached is an
LLMError, as for an add.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ValidationError

from graphmem.errors import ExtractionError
from graphmem.llm.base import LLM
from graphmem.llm.json_output import parse_json_object
from graphmem.prompts import load_prompt
from graphmem.rerank.base import Reranker

log = logging.getLogger("graphmem.rerank")
MAX_TEXT_CHARS = 1000  # per candidate, so a long memory cannot crowd the others out


class Ranking(BaseModel):
    """The model's answer."""

    ranking: list[int]


class LLMReranker(Reranker):
    name = "llm"

    def __init__(self, llm: Callable[[], LLM], *, owned: bool) -> None:
        # A callable: the Memory builds its LLM on first use (an add or a rerank).
        self._llm = llm
        self._owned = owned
        self.prompt = load_prompt("rerank")

    def scores(self, query: str, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        listing = "\n".join(f"[{i}] {t[:MAX_TEXT_CHARS]}" for i, t in enumerate(texts))
        completion = self._llm().complete(
            [
                {"role": "system", "content": self.prompt.render()},
                {"role": "user", "content": f"Question: {query}\n\nMemories:\n{listing}"},
            ],
            json_schema=Ranking.model_json_schema(),
        )
        try:
            ranking = Ranking.model_validate(parse_json_object(completion.text)).ranking
        except (ExtractionError, ValidationError) as exc:
            log.warning("the reranker's answer was unusable, recall's order kept: %s", exc)
            return [0.0] * len(texts)
        order = [i for i in dict.fromkeys(ranking) if 0 <= i < len(texts)]
        scores = [0.0] * len(texts)
        for position, index in enumerate(order):
            scores[index] = 1.0 - position / len(texts)
        return scores

    def close(self) -> None:
        if self._owned:  # a shared LLM is the Memory's to close
            self._llm().close()
