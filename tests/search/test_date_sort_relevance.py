"""Sorted by date, every result must still match the query well, on both backends:
keyword needs all the words (``OR`` for alternatives), the semantic side a similarity
floor. Sorted by relevance, keyword matching stays any-word (ranked)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from paperwire.app import create_app
from paperwire.config import Settings
from paperwire.search.embed import HashEmbedder
from paperwire.search.index import index_papers
from paperwire.search.query import parse_query
from paperwire.search.service import DATE_SORT_MIN_SIMILARITY, search_papers
from paperwire.store import Store
from tests.search.test_keyword import paper

VIT = {"2401.00011", "2401.00012"}
EYE = {"pmid:901", "pmid:902"}
UNRELATED = "pmid:903"


@pytest.fixture
def corpus(store: Store) -> Store:
    """Vision transformer papers, and newer eye-care papers that share only "vision"."""
    store.upsert_papers([
        paper("2401.00011", "Vision transformer", "Vision transformer.", day=date(2024, 1, 1)),
        paper("2401.00012", "Token pruning for vision transformers",
              "Dropping redundant tokens speeds up transformer inference on images.",
              day=date(2024, 2, 1)),
        paper("pmid:901", "Prevalence of vision loss and age-related eye diseases",
              "A survey of visual impairment among older adults in rural clinics.",
              categories=(), day=date(2024, 5, 1), source="medline"),
        paper("pmid:902", "Vision screening in schools",
              "Refraction measurements detect vision problems in children early.",
              categories=(), day=date(2024, 6, 1), source="medline"),
        paper(UNRELATED, "Zebrafish heart regeneration", "Cardiac tissue regrows in zebrafish.",
              categories=(), day=date(2024, 7, 1), source="medline"),
    ])
    index_papers(store, HashEmbedder(), batch_size=10)
    return store


def ids(store: Store, query: str, *, mode: str, sort: str) -> list[str]:
    hits = search_papers(store, HashEmbedder(), query, mode=mode, sort=sort, limit=20)
    return [h.paper_id for h in hits]


def test_or_groups_alternatives_and_other_words_stay_apart() -> None:
    assert parse_query("vision transformer").keyword.alternatives == (("vision",), ("transformer",))
    assert parse_query("vision OR eye* the loss").keyword.alternatives == (("vision", "eye*"), ("loss",))
    assert parse_query('OR "a phrase" || retina').keyword.alternatives == (("retina",),)


def test_keyword_by_date_needs_every_word(corpus: Store) -> None:
    assert ids(corpus, "vision transformer", mode="keyword", sort="date") == ["2401.00012", "2401.00011"]
    assert ids(corpus, "vision transform*", mode="keyword", sort="date") == ["2401.00012", "2401.00011"]
    assert ids(corpus, "vision -pruning transformer", mode="keyword", sort="date") == ["2401.00011"]


def test_keyword_by_relevance_stays_any_word(corpus: Store) -> None:
    found = ids(corpus, "vision transformer", mode="keyword", sort="relevance")
    assert set(found) == VIT | EYE and set(found[:2]) == VIT


def test_or_lets_either_word_match_by_date(corpus: Store) -> None:
    found = ids(corpus, "vision OR transformer", mode="keyword", sort="date")
    assert found == ["pmid:902", "pmid:901", "2401.00012", "2401.00011"]
    assert ids(corpus, "transformer OR retina* eye", mode="keyword", sort="date") == []
    assert ids(corpus, "transformer OR eye* vision", mode="keyword", sort="date") == [
        "pmid:901", "2401.00012", "2401.00011"]


def test_semantic_by_date_drops_papers_below_the_floor(corpus: Store) -> None:
    ranked = search_papers(corpus, HashEmbedder(), "vision transformer", mode="semantic", limit=20)
    assert UNRELATED in {h.paper_id for h in ranked}  # by relevance everything ranks
    assert any(h.score < DATE_SORT_MIN_SIMILARITY for h in ranked)
    found = ids(corpus, "vision transformer", mode="semantic", sort="date")
    assert "2401.00011" in found and UNRELATED not in found
    kept = {h.paper_id for h in ranked if h.score >= DATE_SORT_MIN_SIMILARITY}
    assert set(found) == kept


def test_hybrid_by_date_keeps_all_word_matches_and_similar_papers_only(corpus: Store) -> None:
    assert set(ids(corpus, "vision transformer", mode="hybrid", sort="relevance")) >= VIT | EYE
    found = ids(corpus, "vision transformer", mode="hybrid", sort="date")
    assert found == ["2401.00012", "2401.00011"]
    assert set(ids(corpus, "vision OR transformer", mode="hybrid", sort="date")) == VIT | EYE


@pytest.fixture
def client(settings: Settings, corpus: Store) -> Iterator[httpx.Client]:
    from fastapi.testclient import TestClient

    with TestClient(create_app(settings, store=corpus), raise_server_exceptions=False) as c:
        yield c


def test_search_feed_and_api_list_only_relevant_papers(client: httpx.Client) -> None:
    import feedparser

    feed = feedparser.parse(client.get("/feeds/search.atom", params={"q": "vision transformer"}).text)
    assert [e.id.rsplit("/", 1)[-1] for e in feed.entries] == ["2401.00012", "2401.00011"]
    r = client.get("/api/search", params={"q": "vision transformer", "mode": "keyword", "sort": "date"})
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["results"]] == ["2401.00012", "2401.00011"]
    r = client.get("/api/search", params={"q": "vision OR transformer", "mode": "keyword", "sort": "date"})
    assert {x["id"] for x in r.json()["results"]} == VIT | EYE
