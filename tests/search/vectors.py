"""Synthetic papers with clustered vectors, for ANN tests (real text is not needed to
test recall of an index against exact search; see test_ann_real for real embeddings)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from paperwire.models import Author, Paper
from paperwire.search.embed import normalize_rows
from paperwire.store import Store


def clustered_vectors(n: int, dim: int, *, clusters: int, seed: int, spread: float = 0.35) -> np.ndarray:
    """Points around random centres, like topic clusters of abstract embeddings."""
    rng = np.random.default_rng(seed)
    centres = normalize_rows(rng.standard_normal((clusters, dim)).astype(np.float32))
    labels = rng.integers(0, clusters, n)
    noise = rng.standard_normal((n, dim)).astype(np.float32) * spread / np.sqrt(dim) * 4
    return normalize_rows(centres[labels] + noise)


def synthetic_papers(n: int, *, categories: tuple[str, ...] = ("cs.LG", "cs.CV", "math.PR", "q-bio.NC")) -> list[Paper]:
    return [
        Paper(
            id=f"2401.{i:05d}",
            title=f"Synthetic paper {i}",
            abstract=f"Abstract {i}.",
            authors=[Author(name=f"Author {i % 37}")],
            categories=[categories[i % len(categories)]],
            version=1,
            submitted=datetime(2024, 1, 1 + i % 28, tzinfo=UTC),
        )
        for i in range(n)
    ]


def exact_top(matrix: np.ndarray, ids: list[str], query: np.ndarray, k: int, *, allowed: set[str] | None = None) -> list[str]:
    scores = matrix @ query
    order = np.argsort(-scores, kind="stable")
    out = [ids[i] for i in order if allowed is None or ids[i] in allowed]
    return out[:k]


def newest_seq(store: Store, model: str) -> int:
    """The highest embedding ``seq`` of ``model`` (0 without vectors), read through the
    tail an ANN index catches up on."""
    seqs, _ = store.embeddings_after(model, after_seq=0, limit=1_000_000)
    return int(seqs.max()) if len(seqs) else 0
