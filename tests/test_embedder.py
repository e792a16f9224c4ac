import math

import numpy as np

from graphmem.embed.local import LocalEmbedder


def test_vectors_are_unit_length_and_384_wide(embedder: LocalEmbedder) -> None:
    vectors = embedder.embed(["Alice lives in Amsterdam.", "x"])
    assert embedder.dimension == 384
    assert all(
        len(v) == 384 and math.isclose(np.linalg.norm(v), 1.0, rel_tol=1e-5) for v in vectors
    )


def test_similarities_match_the_model_card(embedder: LocalEmbedder) -> None:
    # Values from ../shared/models/all-MiniLM-L6-v2/README.md (sentence-transformers' own).
    berlin, munich, alice, bob, food, vegetarian = np.array(
        embedder.embed(
            ["Berlin", "Munich", "Alice", "Bob", "vegetarian food", "User is vegetarian"]
        )
    )
    assert abs(berlin @ munich - 0.711) < 0.002
    assert abs(alice @ bob - 0.499) < 0.002
    assert abs(food @ vegetarian - 0.700) < 0.002


def test_batches_match_single_embeddings(embedder: LocalEmbedder) -> None:
    texts = [f"sentence number {i} about {'cats' if i % 2 else 'graphs'}" for i in range(70)]
    batched = np.array(embedder.embed(texts))
    single = np.array([embedder.embed_one(t) for t in (texts[0], texts[69])])
    assert np.allclose(batched[[0, 69]], single, atol=1e-5)


def test_the_session_does_not_spin_between_runs(embedder: LocalEmbedder) -> None:
    """onnxruntime's threads busy-wait after each run by default: ~20 ms of CPU per query
    embedding, taken from the Neo4j server and the search on a small machine."""
    options = embedder._onnx.session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
