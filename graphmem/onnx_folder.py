"""A transformer's ONNX export in a local folder (model.onnx + tokenizer.json), run with
onnxruntime and tokenizers: no torch, no hub. Shared by the local embedder and the
cross-encoder reranker, which differ only in what they read from the model's output."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.errors import GraphMemError


class OnnxFolder:
    """The tokenizer and the inference session of one model folder.

    `error` is the GraphMemError subclass a missing or broken folder is reported as, and
    `hint` says what to set (e.g. "GRAPHMEM_EMBEDDER_PATH")."""

    def __init__(
        self,
        path: Path,
        *,
        max_tokens: int,
        error: type[GraphMemError],
        hint: str,
        threads: int = 0,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        onnx_file = next(
            (p for p in (path / "model.onnx", path / "onnx" / "model.onnx") if p.is_file()), None
        )
        if onnx_file is None:
            raise error(
                f"no model.onnx in {path}: point {hint} at a folder holding model.onnx and "
                "tokenizer.json"
            )
        tokenizer_file = path / "tokenizer.json"
        if not tokenizer_file.is_file():
            raise error(f"no tokenizer.json in {path}")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        # No busy-waiting between runs: by default the pool's threads spin for a while after
        # each run, ~20 ms of CPU per query embedding on a 2-core machine, taken from the
        # Neo4j server and the search that follow it (bench/README.md, "The query's
        # embedding").
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = onnxruntime.InferenceSession(
                str(onnx_file), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise error(f"cannot load {onnx_file}: {exc}") from exc
        self.inputs = {i.name for i in self.session.get_inputs()}
        # onnxruntime sessions are thread-safe, the tokenizer's padding state is not.
        self._lock = threading.Lock()

    def run(self, texts: Sequence[str | tuple[str, str]]) -> tuple[Any, Any]:
        """The model's first output for a batch of texts (or text pairs), and the
        attention mask of their tokens."""
        with self._lock:
            encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        return self.session.run(None, feeds)[0], mask
