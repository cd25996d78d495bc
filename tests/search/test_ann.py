"""The ANN paths against exact search: usearch HNSW on SQLite, pgvector HNSW on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from paperwire.models import SearchFilters
from paperwire.search.ann import HnswVectors
from paperwire.search.embed import HashEmbedder
from paperwire.search.index import index_papers, paper_text
from paperwire.search.semantic import search_vectors, semantic_search, similar_papers
from paperwire.store import Store
from tests.search.vectors import clustered_vectors, exact_top, newest_seq, synthetic_papers

N, DIM = 3000, 64
MODEL = "synthetic-64"


def load_synthetic(store: Store) -> tuple[list[str], np.ndarray]:
    papers = synthetic_papers(N)
    store.upsert_papers(papers)
    matrix = clustered_vectors(N, DIM, clusters=40, seed=7)
    ids = [p.id for p in papers]
    fps = {pid: fp for pid, fp, _, _ in store.papers_to_embed(MODEL, limit=N)}
    for start in range(0, N, 500):
        store.save_embeddings(
            MODEL, [(ids[i], fps[ids[i]], matrix[i]) for i in range(start, min(N, start + 500))]
        )
    return ids, matrix


def recall_at_10(store: Store, ids: list[str], matrix: np.ndarray, *, vectors: HnswVectors | None,
                 filters: SearchFilters | None = None, allowed: set[str] | None = None) -> float:
    rng = np.random.default_rng(3)
    queries = matrix[rng.choice(N, 40, replace=False)] + rng.standard_normal((40, DIM)).astype(np.float32) * 0.05
    found = 0
    for q in queries:
        q = (q / np.linalg.norm(q)).astype(np.float32)
        truth = exact_top(matrix, ids, q, 10, allowed=allowed)
        got = [h.paper_id for h in search_vectors(store, MODEL, q, limit=10, filters=filters, vectors=vectors)]
        found += len(set(truth) & set(got))
    return found / (10 * len(queries))


def test_ann_recall_against_exact(store: Store, tmp_path: Path) -> None:
    ids, matrix = load_synthetic(store)
    # SQLite answers from a usearch file; PostgreSQL from pgvector's HNSW index.
    vectors = None
    if store.dialect == "sqlite":
        vectors = HnswVectors(tmp_path / "vectors", min_vectors=1000)
        assert vectors.sync(store, MODEL) == (N, True)
    recall = recall_at_10(store, ids, matrix, vectors=vectors)
    assert recall >= 0.95, recall
    cs_lg = {pid for i, pid in enumerate(ids) if i % 4 == 0}
    recall_filtered = recall_at_10(
        store, ids, matrix, vectors=vectors,
        filters=SearchFilters(categories=("cs.LG",)), allowed=cs_lg,
    )
    assert recall_filtered >= 0.95, recall_filtered


def test_sqlite_search_below_the_threshold_is_exact(sqlite_store: Store) -> None:
    ids, matrix = load_synthetic(sqlite_store)
    for row in (17, 2024):
        got = [h.paper_id for h in sqlite_store.nearest_papers(MODEL, matrix[row], limit=10)]
        assert got == exact_top(matrix, ids, matrix[row], 10)


def test_hnsw_file_is_incremental_and_covers_new_rows_at_once(sqlite_store: Store, tmp_path: Path) -> None:
    from paperwire.ingest.sample import load_sample

    load_sample(sqlite_store)
    embedder = HashEmbedder()
    vectors = HnswVectors(tmp_path / "vectors", min_vectors=50)
    first = index_papers(sqlite_store, embedder, batch_size=40, vectors=vectors)
    assert first.ann_rebuilt and first.ann_added == sqlite_store.count_papers()
    meta = vectors.read_meta(embedder.name)
    assert meta is not None and meta["covered_seq"] == newest_seq(sqlite_store, embedder.name)
    assert index_papers(sqlite_store, embedder, batch_size=40, vectors=vectors).ann_added == 0

    # A new paper, embedded but not yet in the HNSW file, is still found (exact tail).
    paper = synthetic_papers(1)[0]
    paper.title, paper.abstract = "Glacier calving dynamics", "Ice shelves break under tidal stress."
    sqlite_store.upsert_papers([paper])
    sqlite_store.save_embeddings(
        embedder.name, [(pid, fp, embedder.embed([paper_text(t, a)])[0])
                        for pid, fp, t, a in sqlite_store.papers_to_embed(embedder.name)]
    )
    assert vectors.covered_seq(embedder.name) == meta["covered_seq"]
    hits = semantic_search(sqlite_store, embedder, "Glacier calving dynamics", limit=3, vectors=vectors)
    assert hits[0].paper_id == paper.id
    again = index_papers(sqlite_store, embedder, batch_size=40, vectors=vectors)
    assert (again.embedded, again.ann_added, again.ann_rebuilt) == (0, 1, False)
    assert vectors.covered_seq(embedder.name) == newest_seq(sqlite_store, embedder.name)
    assert semantic_search(sqlite_store, embedder, "Glacier calving dynamics", limit=3, vectors=vectors)[0].paper_id == paper.id

    # Similar papers through the HNSW file exclude the paper and match exact search.
    some = sqlite_store.latest_papers(limit=1)[0].id
    ann = similar_papers(sqlite_store, some, limit=5, vectors=vectors)
    exact = similar_papers(sqlite_store, some, limit=5)
    assert some not in {h.paper_id for h in ann}
    assert [h.paper_id for h in ann] == [h.paper_id for h in exact]


def test_hnsw_rebuilds_when_many_keys_are_dead(sqlite_store: Store, tmp_path: Path) -> None:
    from paperwire.ingest.sample import load_sample

    load_sample(sqlite_store)
    vectors = HnswVectors(tmp_path / "vectors", min_vectors=10)
    index_papers(sqlite_store, HashEmbedder(), batch_size=64, vectors=vectors)
    # A different model's vectors (say a new embedder) do not touch this one's file,
    # but re-embedding most papers under the same name leaves dead keys: rebuild.
    model = HashEmbedder().name
    rows = sqlite_store.papers_to_embed("other", limit=1000)
    rng = np.random.default_rng(0)
    sqlite_store.save_embeddings(model, [(pid, fp, rng.standard_normal(384).astype(np.float32)) for pid, fp, _, _ in rows[:60]])
    added, rebuilt = vectors.sync(sqlite_store, model)
    assert rebuilt and added == sqlite_store.count_embeddings(model)
    meta = vectors.read_meta(model)
    assert meta is not None and meta["size"] == sqlite_store.count_embeddings(model)


def test_a_file_built_on_several_threads_is_rebuilt_once(sqlite_store: Store, tmp_path: Path) -> None:
    """Files written before vectors were added on one thread may hold unreachable nodes
    (tests/search/test_ann_real.py); the next sync rebuilds them, then only adds."""
    from paperwire.ingest.sample import load_sample

    load_sample(sqlite_store)
    model = HashEmbedder().name
    index_papers(sqlite_store, HashEmbedder(), batch_size=64,
                 vectors=HnswVectors(tmp_path / "vectors", min_vectors=10, add_threads=0))
    vectors = HnswVectors(tmp_path / "vectors", min_vectors=10)
    assert vectors.sync(sqlite_store, model) == (sqlite_store.count_embeddings(model), True)
    meta = vectors.read_meta(model)
    assert meta is not None and meta["add_threads"] == 1
    assert vectors.sync(sqlite_store, model) == (0, False)


def test_below_threshold_no_index_is_built(sqlite_store: Store, tmp_path: Path) -> None:
    from paperwire.ingest.sample import load_sample

    load_sample(sqlite_store)
    vectors = HnswVectors(tmp_path / "vectors", min_vectors=10_000)
    report = index_papers(sqlite_store, HashEmbedder(), batch_size=64, vectors=vectors)
    assert (report.ann_added, report.ann_rebuilt) == (0, False)
    assert vectors.read_meta(HashEmbedder().name) is None
    assert vectors.search(sqlite_store, HashEmbedder().name, np.ones(384, np.float32), limit=3) is None


@pytest.mark.parametrize("bad", ["x' OR '1'='1", "a b"])
def test_postgres_rejects_odd_model_names(bad: str) -> None:
    from paperwire.store.postgres_dialect import model_literal

    with pytest.raises(ValueError, match="model name"):
        model_literal(bad)


def test_usearch_and_onnxruntime_load_together() -> None:
    """usearch imported before ONNX Runtime crashes the process; ann.py orders them."""
    import subprocess
    import sys

    code = (
        "from paperwire.search.ann import usearch_index_class; usearch_index_class(); "
        "import onnxruntime; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-500:]
