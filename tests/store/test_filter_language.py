"""One filter language: the same ``SearchFilters`` select the same papers in a
listing (day-ordered, by either lookup) and in every ranker (keyword, exact vectors,
re-scored ANN candidates), on both backends, with the meaning docs/api.md gives."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from paperwire.models import Author, KeywordQuery, Link, Paper, SearchFilters
from paperwire.store import Store

MODEL = "filter-test"
EVERYTHING = 1000  # more than the papers below


def _paper(
    pid: str,
    categories: list[str],
    authors: list[str],
    day: date,
    *,
    code: bool = False,
    source: str = "arxiv",
) -> Paper:
    return Paper(
        id=pid,
        title=f"Filtered paper {pid}",
        abstract="Every paper here holds the word filtered.",
        authors=[Author(name) for name in authors],
        categories=categories,
        version=1,
        submitted=datetime(day.year, day.month, day.day, 12),
        announced=day if source == "arxiv" else None,
        links=[Link("code", f"https://github.com/x/{pid}")] if code else [],
        source=source,  # type: ignore[arg-type]
    )


PAPERS = [
    _paper("2401.00001", ["cs.AI"], ["Grace Hopper", "Alan Turing"], date(2024, 1, 8), code=True),
    _paper("2401.00002", ["cs.LG", "stat.ML"], ["Anna Grace Hopper"], date(2024, 1, 9)),
    _paper("2401.00003", ["math.AG"], ["Hopper"], date(2024, 1, 9), code=True),
    _paper("2401.00004", ["hep-th"], ["Ada Lovelace"], date(2024, 1, 10)),
    _paper("2401.00005", ["astro-ph.CO", "cs.CV"], ["Grace Hopperson"], date(2024, 1, 11)),
    _paper("2401.00006", ["csx.XY", "mathematics"], ["Ada  LOVELACE"], date(2024, 1, 12)),
    _paper("pmid:7", [], ["Grace Hopper"], date(2024, 1, 9), source="medline"),
]

# filters -> the papers they mean (the numbers of the ids above; 7 is pmid:7)
CASES: list[tuple[SearchFilters, set[int]]] = [
    (SearchFilters(categories=("cs",)), {1, 2, 5}),  # an archive: all of cs.*, not csx.*
    (SearchFilters(categories=("cs.LG",)), {2}),
    (SearchFilters(categories=("hep-th",)), {4}),  # an archive that is a category too
    (SearchFilters(categories=("astro-ph",)), {5}),
    (SearchFilters(categories=("math", "cs.CV")), {3, 5}),  # any of them
    (SearchFilters(categories=("stat.ml",)), set()),  # categories are case-sensitive
    (SearchFilters(categories=("CS",)), set()),
    (SearchFilters(author="Grace Hopper"), {1, 7}),  # a whole name, not a longer one
    (SearchFilters(author="  GRACE   hopper "), {1, 7}),
    (SearchFilters(author="hopper"), {1, 2, 3, 7}),  # a family name, and a lone name
    (SearchFilters(author="Turing"), {1}),
    (SearchFilters(author="Grace"), set()),  # a given name alone is not a family name
    (SearchFilters(author="opper"), set()),
    (SearchFilters(author="ada lovelace"), {4, 6}),
    (SearchFilters(has_code=True), {1, 3}),
    (SearchFilters(has_code=False), {2, 4, 5, 6, 7}),
    (SearchFilters(date_from=date(2024, 1, 9), date_until=date(2024, 1, 10)), {2, 3, 4, 7}),
    (SearchFilters(date_from=date(2024, 1, 11)), {5, 6}),
    (SearchFilters(source="medline"), {7}),
    (SearchFilters(categories=("cs",), has_code=True), {1}),
    (SearchFilters(author="Hopper", date_from=date(2024, 1, 9)), {2, 3, 7}),
    (SearchFilters(author="hopper", categories=("math",)), {3}),
    (SearchFilters(categories=("cs", "hep-th"), date_until=date(2024, 1, 10), has_code=False), {2, 4}),
]


def _ids(numbers: set[int]) -> set[str]:
    return {"pmid:7" if n == 7 else f"2401.{n:05d}" for n in numbers}


@pytest.fixture
def filled(store: Store) -> Store:
    store.upsert_papers(PAPERS)
    rng = np.random.default_rng(7)
    store.save_embeddings(
        MODEL,
        [(p.id, "fp", rng.standard_normal(8).astype(np.float32)) for p in PAPERS],
    )
    return store


def test_every_listing_and_ranker_reads_filters_alike(filled: Store) -> None:
    store = filled
    query = KeywordQuery(any_terms=("filtered",))
    seqs, _ = store.embeddings_after(MODEL, after_seq=0, limit=EVERYTHING)
    assert len(seqs) == len(PAPERS)
    probe = np.ones(8, dtype=np.float32)
    for filters, numbers in CASES:
        expected = _ids(numbers)
        found = {
            # all time: a small category is looked up in the category index
            "listing": {p.id for p in store.list_papers(filters=filters, limit=EVERYTHING)},
            # a day range: the day index is walked and each paper's rows probed
            "listing by day": {
                p.id
                for p in store.list_papers(
                    start=date(2000, 1, 1), end=date(2100, 1, 1), filters=filters, limit=EVERYTHING
                )
            },
            "keyword": {h.paper_id for h in store.keyword_ranking(query, filters=filters, limit=EVERYTHING)},
            "vectors": {
                h.paper_id for h in store.nearest_papers(MODEL, probe, limit=EVERYTHING, filters=filters)
            },
            "ann candidates": {
                pid for pid, _ in store.vectors_for_seqs(MODEL, [int(s) for s in seqs], filters=filters).values()
            },
        }
        assert found == dict.fromkeys(found, expected), filters
        assert store.count_listed(filters=filters) == len(expected), filters
        counts = store.listed_category_counts(filters=filters)
        assert sum(counts.values()) == sum(
            len(p.categories) for p in PAPERS if p.id in expected
        ), filters
