"""Fusion and the search service (pure fusion, and search_papers on both backends)."""

from __future__ import annotations

import pytest

from paperwire.errors import InvalidParameter
from paperwire.models import Hit, SearchFilters
from paperwire.search.embed import HashEmbedder
from paperwire.search.hybrid import (
    fuse_rankings,
    reciprocal_rank_fusion,
    weighted_score_fusion,
    zscore_fusion,
)
from paperwire.search.service import order_by_date, search_papers
from paperwire.store import Store


def hits(*pairs: tuple[str, float]) -> list[Hit]:
    return [Hit(p, s) for p, s in pairs]


def test_rrf_rewards_papers_both_lists_agree_on() -> None:
    kw = hits(("a", 9.0), ("b", 5.0), ("c", 1.0))
    sem = hits(("c", 0.9), ("b", 0.8), ("d", 0.7))
    fused = reciprocal_rank_fusion([kw, sem])
    assert {h.paper_id for h in fused[:2]} == {"b", "c"}  # in both lists: above "a" and "d"
    assert {h.paper_id for h in fused} == {"a", "b", "c", "d"}
    assert reciprocal_rank_fusion([kw, []], limit=2) == [Hit("a", 1 / 61), Hit("b", 1 / 62)]
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([kw], weights=[1, 2])


def test_score_fusion_keeps_margins_and_handles_single_hits() -> None:
    kw = hits(("a", 10.0), ("b", 1.0), ("c", 0.5))
    sem = hits(("b", 0.50), ("a", 0.49), ("d", 0.10))
    fused = weighted_score_fusion([kw, sem])
    assert fused[0].paper_id == "a"  # far ahead on keyword, nearly tied on semantic
    assert weighted_score_fusion([hits(("x", 3.0)), []]) == [Hit("x", 1.0)]


def test_zscore_fusion_weighs_margins_in_standard_deviations() -> None:
    # keyword: a 0, b 2, c 4 (sd 1.633); semantic: c 0.5, d 0.1 (sd 0.2)
    kw = hits(("c", 4.0), ("b", 2.0), ("a", 0.0))
    sem = hits(("c", 0.5), ("d", 0.1))
    fused = zscore_fusion([kw, sem], weights=[1.0, 1.0])
    sd = (8 / 3) ** 0.5
    assert [h.paper_id for h in fused] == ["c", "b", "a", "d"]
    assert fused[0].score == pytest.approx(4 / sd + 2.0)
    assert fused[1].score == pytest.approx(2 / sd)
    assert zscore_fusion([hits(("x", 3.0)), []]) == [Hit("x", 1.0)]  # equal scores: one unit
    with pytest.raises(ValueError):
        zscore_fusion([kw], weights=[1, 2])


def test_hybrid_fusion_leans_on_the_semantic_list() -> None:
    # One step up on each side: the semantic one weighs more (0.7 against 0.3).
    kw = hits(("k", 2.0), ("s", 1.0), ("z", 0.0))
    sem = hits(("s", 0.9), ("k", 0.8), ("z", 0.7))
    assert [h.paper_id for h in fuse_rankings(kw, sem, limit=2)] == ["s", "k"]
    assert fuse_rankings([], [], limit=5) == []


def test_search_papers_validates_options(sample_store: Store) -> None:
    for kwargs, param in [({"mode": "fuzzy"}, "mode"), ({"sort": "x"}, "sort"),
                          ({"limit": 0}, "limit"), ({"limit": 101}, "limit")]:
        with pytest.raises(InvalidParameter) as err:
            search_papers(sample_store, HashEmbedder(), "testing", **kwargs)
        assert err.value.parameter == param


def test_keyword_and_hybrid_modes_over_the_sample(sample_store: Store) -> None:
    kw = search_papers(sample_store, None, "flaky tests", mode="keyword", limit=5)
    assert kw and len(kw) <= 5
    hybrid = search_papers(sample_store, HashEmbedder(), "flaky tests", mode="hybrid", limit=5)
    # the keyword leaders stay on top whether or not embeddings are stored yet
    assert {h.paper_id for h in hybrid[:2]} <= {h.paper_id for h in kw}
    filtered = search_papers(sample_store, HashEmbedder(), "testing", mode="hybrid", limit=20,
                             filters=SearchFilters(categories=("math.ST",)))
    papers = sample_store.get_papers([h.paper_id for h in filtered])
    assert papers and all("math.ST" in p.categories for p in papers)


def test_sort_by_date_orders_newest_first(sample_store: Store) -> None:
    ranked = search_papers(sample_store, HashEmbedder(), "metamorphic testing", limit=10, sort="date")
    days = [p.day for p in sample_store.get_papers([h.paper_id for h in ranked])]
    assert days == sorted(days, reverse=True)
    assert order_by_date(sample_store, []) == []
