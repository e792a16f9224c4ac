"""The default embedder: a sentence-transformers ONNX export run locally.

onnxruntime + tokenizers, no torch. The model folder must hold model.onnx and
tokenizer.json (the layout of ../shared/models/all-MiniLM-L6-v2 and of the
`onnx/` export on the Hugging Face hub). Sentence vector = attention-masked mean of
the last hidden state, L2-normalised: the same as sentence-transformers.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from graphmem.embed.base import Embedder, register_embedder
from graphmem.errors import EmbedderError

if TYPE_CHECKING:
    from graphmem.config import Settings

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on at most 256 word pieces
BATCH_SIZE = 64
_HUB_FILES = ("onnx/model.onnx", "tokenizer.json")


class LocalEmbedder(Embedder):
    """Embeds with an ONNX sentence-transformer from a local folder."""

    name = "local"

    def __init__(self, path: Path, *, model_name: str | None = None, threads: int = 0) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        onnx_file = _find_onnx(path)
        tokenizer_file = path / "tokenizer.json"
        if not tokenizer_file.is_file():
            raise EmbedderError(f"no tokenizer.json in {path}")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        try:
            self._session = onnxruntime.InferenceSession(
                str(onnx_file), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EmbedderError(f"cannot load {onnx_file}: {exc}") from exc
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._model = model_name or path.name
        self._dimension = int(self._session.get_outputs()[0].shape[-1])
        # onnxruntime sessions are thread-safe, the tokenizer's padding state is not.
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def model(self) -> str:
        return self._model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH_SIZE):
            vectors.extend(self._embed_batch(texts[start : start + BATCH_SIZE]))
        return vectors

    def _embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).tolist()


def _find_onnx(path: Path) -> Path:
    for candidate in (path / "model.onnx", path / "onnx" / "model.onnx"):
        if candidate.is_file():
            return candidate
    raise EmbedderError(
        f"no model.onnx in {path}: point GRAPHMEM_EMBEDDER_PATH at a folder holding "
        "model.onnx and tokenizer.json"
    )


def _download(model: str, cache_dir: Path) -> Path:
    """Fetch the ONNX export of a hub model into cache_dir (needs internet once)."""
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(
            repo_id=model, allow_patterns=list(_HUB_FILES), cache_dir=str(cache_dir)
        )
    except Exception as exc:  # huggingface_hub raises many network error types
        raise EmbedderError(
            f"cannot download embedding model {model!r} ({exc.__class__.__name__}). "
            "Offline? Set GRAPHMEM_EMBEDDER_PATH to a folder with model.onnx and "
            "tokenizer.json (tests use ../shared/models/all-MiniLM-L6-v2)."
        ) from None
    return Path(folder)


def _from_settings(settings: Settings) -> Embedder:
    path = settings.embedder_path
    if path is None:
        path = _download(settings.embedder_model, settings.data_dir / "models")
    return LocalEmbedder(Path(path).expanduser(), model_name=settings.embedder_model)


register_embedder("local", _from_settings)
