"""The default embedder: a sentence-transformers ONNX export run locally.

onnxruntime + tokenizers, no torch. The model folder must hold model.onnx and
tokenizer.json (the layout of ../shared/models/all-MiniLM-L6-v2 and of the
`onnx/` export on the Hugging Face hub). Sentence vector = attention-masked mean of
the last hidden state, L2-normalised: the same as sentence-transformers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from graphmem.embed.base import Embedder, register_embedder
from graphmem.errors import EmbedderError
from graphmem.onnx_folder import OnnxFolder

if TYPE_CHECKING:
    from graphmem.config import Settings

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on at most 256 word pieces
BATCH_SIZE = 64
_HUB_FILES = ("onnx/model.onnx", "tokenizer.json")


class LocalEmbedder(Embedder):
    """Embeds with an ONNX sentence-transformer from a local folder."""

    name = "local"

    def __init__(self, path: Path, *, model_name: str | None = None, threads: int = 0) -> None:
        self._onnx = OnnxFolder(
            path,
            max_tokens=MAX_TOKENS,
            error=EmbedderError,
            hint="GRAPHMEM_EMBEDDER_PATH",
            threads=threads,
        )
        self._model = model_name or path.name
        self._dimension = int(self._onnx.session.get_outputs()[0].shape[-1])

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
        hidden, mask = self._onnx.run(texts)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).tolist()


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
