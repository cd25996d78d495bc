"""Embedding storage, ``index_papers`` and semantic search on both real backends."""

from __future__ import annotations

from datetime import date

import pytest

from paperwire.models import SearchFilters
from paperwire.search.embed import HashEmbedder
from paperwire.search.index import index_papers, paper_text
from paperwire.search.semantic import semantic_search, similar_papers
from paperwire.store import Store
from tests.search.vectors import newest_seq


class Interrupted(Exception):
    pass


def test_index_is_resumable_after_a_crash_between_batches(sample_store: Store) -> None:
    embedder = HashEmbedder()
    total = sample_store.count_papers()
    assert sample_store.count_papers_to_embed(embedder.name) == total

    batches: list[int] = []

    def crash_after_two(papers: int) -> None:
        batches.append(papers)
        if len(batches) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        index_papers(sample_store, embedder, batch_size=10, on_progress=crash_after_two)
    assert batches == [10, 10]
    # Both committed batches survived the crash; nothing else was written.
    assert sample_store.count_embeddings(embedder.name) == 20
    assert sample_store.count_papers_to_embed(embedder.name) == total - 20

    rest = index_papers(sample_store, embedder, batch_size=10)
    assert rest.embedded == total - 20
    assert sample_store.count_embeddings(embedder.name) == total  # one per paper
    assert sample_store.count_papers_to_embed(embedder.name) == 0

    again = index_papers(sample_store, embedder, batch_size=10)
    assert again.embedded == 0 and again.batches == 0
    assert sample_store.count_embeddings(embedder.name) == total


def test_a_changed_paper_is_embedded_again(sample_store: Store) -> None:
    embedder = HashEmbedder()
    index_papers(sample_store, embedder, batch_size=50)
    paper = sample_store.latest_papers(limit=1)[0]
    before = sample_store.get_embedding(embedder.name, paper.id)
    paper.abstract = "Completely rewritten abstract about glaciers and ice sheets."
    paper.version = (paper.version or 1) + 1
    sample_store.upsert_papers([paper])
    assert sample_store.count_papers_to_embed(embedder.name) == 1
    report = index_papers(sample_store, embedder, batch_size=50)
    assert report.embedded == 1
    after = sample_store.get_embedding(embedder.name, paper.id)
    assert before is not None and after is not None and float(before @ after) < 0.99
    assert sample_store.count_embeddings(embedder.name) == sample_store.count_papers()


def test_semantic_search_finds_the_paper_whose_text_was_queried(sample_store: Store) -> None:
    embedder = HashEmbedder()
    index_papers(sample_store, embedder, batch_size=32)
    for paper in sample_store.latest_papers(limit=5):
        hits = semantic_search(
            sample_store, embedder, paper_text(paper.title, paper.abstract),
            filters=SearchFilters(), limit=5,
        )
        assert hits[0].paper_id == paper.id
        assert hits[0].score == pytest.approx(1.0, abs=1e-4)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_semantic_search_applies_filters_before_ranking(sample_store: Store) -> None:
    embedder = HashEmbedder()
    index_papers(sample_store, embedder, batch_size=64)
    papers = sample_store.latest_papers(limit=500)
    target = papers[0]
    category = next(c for p in papers for c in p.categories if c not in target.categories)
    in_category = {p.id for p in papers if category in p.categories}
    query = paper_text(target.title, target.abstract)
    hits = semantic_search(
        sample_store, embedder, query, filters=SearchFilters(categories=(category,)), limit=10
    )
    # The queried paper is outside the category, so it must not appear; the filter
    # leaves exactly the papers in it (up to the limit), not fewer.
    assert hits and {h.paper_id for h in hits} <= in_category
    assert len(hits) == min(10, len(in_category))

    author = target.authors[0].name
    hits = semantic_search(
        sample_store, embedder, query, filters=SearchFilters(author=author.upper()), limit=10
    )
    assert hits[0].paper_id == target.id
    assert all(any(a.name == author for a in p.authors) for p in sample_store.get_papers([h.paper_id for h in hits]))

    day = target.day
    assert day is not None
    later = semantic_search(
        sample_store, embedder, query,
        filters=SearchFilters(date_from=date.fromordinal(day.toordinal() + 1)), limit=50,
    )
    assert target.id not in {h.paper_id for h in later}
    for p in sample_store.get_papers([h.paper_id for h in later]):
        assert p.day is not None and p.day > day

    with_code = semantic_search(
        sample_store, embedder, query, filters=SearchFilters(has_code=True), limit=50
    )
    assert all(p.has_code for p in sample_store.get_papers([h.paper_id for h in with_code]))


def test_similar_papers_excludes_the_paper_itself(sample_store: Store) -> None:
    embedder = HashEmbedder()
    index_papers(sample_store, embedder, batch_size=64)
    paper = sample_store.latest_papers(limit=1)[0]
    hits = similar_papers(sample_store, paper.id, limit=5)
    assert len(hits) == 5
    assert paper.id not in {h.paper_id for h in hits}
    assert similar_papers(sample_store, "9999.99999", limit=5) == []


def test_search_before_indexing_returns_nothing(sample_store: Store) -> None:
    embedder = HashEmbedder()
    assert semantic_search(sample_store, embedder, "neural networks", limit=5) == []
    assert semantic_search(sample_store, embedder, "   ", limit=5) == []


def test_a_bulk_load_defers_the_vector_index_and_builds_it_once(sample_store: Store) -> None:
    """``save_embeddings(defer_index=True)`` + ``ensure_vector_index``: same results as
    the ordinary path; PostgreSQL builds its HNSW index at the end, SQLite has none."""
    embedder = HashEmbedder()
    rows = sample_store.papers_to_embed(embedder.name, limit=1000)
    matrix = embedder.embed([paper_text(t, a) for _, _, t, a in rows])
    written = sample_store.save_embeddings(
        embedder.name, [(pid, fp, matrix[i]) for i, (pid, fp, _, _) in enumerate(rows)],
        defer_index=True,
    )
    assert written == len(rows)
    assert sample_store.count_embeddings(embedder.name) == len(rows)
    built = sample_store.ensure_vector_index(embedder.name)
    assert built is (sample_store.dialect == "postgresql")
    assert sample_store.ensure_vector_index(embedder.name) is False  # already there
    pid, _, title, abstract = rows[3]
    hits = semantic_search(sample_store, embedder, paper_text(title, abstract), limit=3)
    assert hits[0].paper_id == pid
    # Saving again replaces vectors (new seq), never duplicates them.
    before = newest_seq(sample_store, embedder.name)
    sample_store.save_embeddings(embedder.name, [(rows[0][0], rows[0][1], matrix[0])])
    assert sample_store.count_embeddings(embedder.name) == len(rows)
    assert newest_seq(sample_store, embedder.name) > before


def _has_hnsw_index(store: Store, model: str) -> bool:
    """PostgreSQL: does pgvector's index for ``model`` exist? (SQLite has none.)"""
    if store.dialect != "postgresql":
        return False
    from paperwire.store.postgres_dialect import hnsw_index_name

    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT 1 AS x FROM pg_indexes WHERE indexname = ?", (hnsw_index_name(model),))
    return row is not None


def test_first_indexing_defers_the_vector_index_even_when_interrupted(sample_store: Store) -> None:
    """``index_papers`` on a model with no vectors is a bulk load: PostgreSQL's HNSW index
    is built once at the end (not while rows go in), also when the run stops midway, and
    a later run writes into it as usual."""
    embedder = HashEmbedder()
    postgres = sample_store.dialect == "postgresql"
    during: list[bool] = []

    def crash_after_two(papers: int) -> None:
        during.append(_has_hnsw_index(sample_store, embedder.name))
        if len(during) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        index_papers(sample_store, embedder, batch_size=10, on_progress=crash_after_two)
    assert during == [False, False]  # deferred while the first load ran
    assert sample_store.count_embeddings(embedder.name) == 20
    assert _has_hnsw_index(sample_store, embedder.name) is postgres  # built in the cleanup
    rest = index_papers(sample_store, embedder, batch_size=50)
    assert rest.embedded == sample_store.count_papers() - 20
    assert sample_store.papers_to_embed(embedder.name, limit=5) == []
    assert _has_hnsw_index(sample_store, embedder.name) is postgres
    pid, _, title, abstract = sample_store.papers_to_embed("never-used-model", limit=1)[0]
    assert semantic_search(sample_store, embedder, paper_text(title, abstract), limit=1)[0].paper_id == pid
