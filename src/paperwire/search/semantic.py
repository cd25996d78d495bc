"""Semantic search and similar papers over stored embeddings.

Filters apply before ranking: the exact path ranks only the rows that pass them (one
SQL query), pgvector scans its HNSW index iteratively under them, and the SQLite HNSW
path oversamples and falls back to exact search over the candidates when too few pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from paperwire.limits import RANKED_MAX, check_limit
from paperwire.models import Hit, SearchFilters
from paperwire.search.embed import Embedder
from paperwire.store import Store


class VectorIndex(Protocol):
    """An ANN index outside the database (``search.ann.HnswVectors``)."""

    def search(
        self,
        store: Store,
        model: str,
        vector: np.ndarray,
        *,
        limit: int,
        filters: SearchFilters | None,
        exclude: Sequence[str],
    ) -> list[Hit] | None:
        """Hits, or None when it holds no index for ``model`` (then search is exact)."""
        ...


def search_vectors(
    store: Store,
    model: str,
    vector: np.ndarray,
    *,
    limit: int,
    filters: SearchFilters | None = None,
    exclude: Sequence[str] = (),
    vectors: VectorIndex | None = None,
) -> list[Hit]:
    if limit < 1 or not np.any(vector):
        return []
    if vectors is not None:
        hits = vectors.search(
            store, model, vector, limit=limit, filters=filters, exclude=exclude
        )
        if hits is not None:
            return hits
    return store.nearest_papers(model, vector, limit=limit, filters=filters, exclude=exclude)


def semantic_search(
    store: Store,
    embedder: Embedder,
    query: str,
    *,
    filters: SearchFilters | None = None,
    limit: int = 10,
    vectors: VectorIndex | None = None,
) -> list[Hit]:
    """Papers whose title + abstract embedding is nearest to the query's."""
    text = " ".join(query.split())
    if not text:
        return []
    vector = embedder.embed([text])[0]
    return search_vectors(
        store, embedder.name, vector, limit=limit, filters=filters, vectors=vectors
    )


def similar_papers(
    store: Store,
    paper_id: str,
    *,
    limit: int = 10,
    filters: SearchFilters | None = None,
    vectors: VectorIndex | None = None,
    model: str | None = None,
) -> list[Hit]:
    """Nearest papers to one paper's stored embedding, never the paper itself.

    ``model`` defaults to the one most recently indexed; a paper not embedded yet has
    no similar papers (``[]``) until the next ``paperwire index``.
    """
    check_limit(limit, maximum=RANKED_MAX)
    model = model or store.embedding_model()
    if model is None:
        return []
    vector = store.get_embedding(model, paper_id)
    if vector is None:
        return []
    return search_vectors(
        store, model, vector, limit=limit, filters=filters, exclude=(paper_id,), vectors=vectors
    )
