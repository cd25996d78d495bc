"""Both backends rank keywords by BM25 alike: FTS5's ``bm25()`` on SQLite and the same
formula over the ``tsvector`` on PostgreSQL. Each case is one where a ranking without
BM25's parts (``ts_rank``: no idf, no length normalisation) puts the papers in another
order, so a backend that loses one of them fails here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paperwire.models import Author, Paper
from paperwire.search.keyword import keyword_search
from paperwire.store import Store

# Distinct words, none of them in a query below: what makes a paper long.
LONG = (
    "Samples were gathered across several seasons from meadows, forests, marshes, dunes "
    "and farmland; moisture, acidity, nitrogen, phosphate, carbon, texture, compaction, "
    "salinity, temperature and elevation were recorded beside each core, alongside "
    "vegetation cover, grazing history, drainage, rainfall, sunlight, slope, aspect, "
    "earthworm counts, fungal hyphae, nematode density and microbial biomass."
)


def paper(pid: str, title: str, abstract: str) -> Paper:
    return Paper(
        id=pid,
        title=title,
        abstract=abstract,
        authors=[Author("Ann Other")],
        categories=["q-bio.PE"],
        version=1,
        submitted=datetime(2024, 1, 2, 9, tzinfo=UTC),
    )


# Paper ids are chosen so that id order (the tie-break) is never the expected order.
PAPERS = [
    # length: one mention each, in the abstract; the shorter paper is more about it
    paper("2402.00001", "Field survey of grassland plots", "One plot held quorvex. " + LONG),
    paper("2402.00002", "Field survey of grassland plots", "One plot held quorvex."),
    # idf: "soil" is in four of the nine papers, "tarnwick" in one; one mention of the
    # rare word outweighs six of the common one (title and abstract)
    paper("2402.00003", "Soil cores", "Soil structure of soil cores from the valley."),
    paper("2402.00004", "Valley cores", "Tarnwick structure of cores from the valley."),
    # one mention of "soil" each, in papers ever longer (no stop words, no repeats, so
    # both backends count the same lengths apart)
    paper("2402.00005", "Pasture carbon", "Pasture soil sampled."),
    paper("2402.00006", "Pasture nitrogen", "Pasture soil sampled twice yearly."),
    paper(
        "2402.00007",
        "Pasture phosphate",
        "Pasture soil sampled twice yearly beside rivers following droughts.",
    ),
    # field weights: the word in the title beats it in the abstract, even twice
    paper("2402.00008", "Burrowing owls near farms", "Nest sites were mapped."),
    paper("2402.00009", "Nest sites near farms", "Owls nest here; the owls return yearly."),
]

# query -> the order every backend must return (the whole ranking)
JUDGED = {
    "quorvex": ["2402.00002", "2402.00001"],
    "tarnwick soil": ["2402.00004", "2402.00003", "2402.00005", "2402.00006", "2402.00007"],
    "owls": ["2402.00008", "2402.00009"],
}


@pytest.fixture
def judged_store(store: Store) -> Store:
    store.upsert_papers(PAPERS)
    return store


@pytest.mark.parametrize("query", sorted(JUDGED))
def test_backends_rank_the_judged_set_alike(judged_store: Store, query: str) -> None:
    hits = keyword_search(judged_store, query, limit=20)
    assert [h.paper_id for h in hits] == JUDGED[query]
    assert all(a.score > b.score for a, b in zip(hits, hits[1:], strict=False))


def test_a_shorter_paper_outranks_a_longer_one_with_the_same_mention(judged_store: Store) -> None:
    short, long = keyword_search(judged_store, "quorvex", limit=5)
    assert (short.paper_id, long.paper_id) == ("2402.00002", "2402.00001")
    assert short.score > long.score * 1.2  # by a margin, not a rounding


def test_an_exclusion_keeps_the_others_order_and_scores(judged_store: Store) -> None:
    """An exclusion removes papers; the rest keep their BM25 order and scores (on
    PostgreSQL the statistics are taken before the exclusion, as FTS5's are)."""
    plain = keyword_search(judged_store, "tarnwick soil", limit=20)
    kept = keyword_search(judged_store, "tarnwick soil -rivers", limit=20)
    assert [h.paper_id for h in kept] == [h.paper_id for h in plain if h.paper_id != "2402.00007"]
    scores = {h.paper_id: h.score for h in plain}
    assert all(h.score == pytest.approx(scores[h.paper_id]) for h in kept)
