"""A cross-encoder reranker: an ONNX export (model.onnx + tokenizer.json) in a local folder,
run with onnxruntime. The query and each text are read together as one pair; the model's
logit becomes a score in [0, 1] (sigmoid of a single logit, or the softmax probability of
the last class for a two-class head). One batch per search."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from graphmem.errors import ConfigError
from graphmem.onnx_folder import OnnxFolder
from graphmem.rerank.base import Reranker

MAX_TOKENS = 512


class CrossEncoderReranker(Reranker):
    name = "cross_encoder"

    def __init__(self, path: Path, *, threads: int = 0) -> None:
        self.path = path
        self._onnx = OnnxFolder(
            path,
            max_tokens=MAX_TOKENS,
            error=ConfigError,
            hint="GRAPHMEM_RERANKER_PATH",
            threads=threads,
        )

    def scores(self, query: str, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        logits, _ = self._onnx.run([(query, text) for text in texts])
        logits = np.asarray(logits, dtype=np.float64).reshape(len(texts), -1)
        if logits.shape[1] == 1:
            return (1.0 / (1.0 + np.exp(-logits[:, 0]))).tolist()
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (shifted[:, -1] / shifted.sum(axis=1)).tolist()
