"""Fuse keyword and semantic rankings into one.

Two ways, measured on the dev set (``bench/search_quality.py``, docs/benchmarks.md):
reciprocal rank fusion (RRF: ranks only, no calibration between a BM25 score and a
cosine) and ``weighted_score_fusion`` (each list's scores min-max normalised to [0, 1],
then summed). Over both dev sets (68 queries) RRF with k=60 scored best (mean nDCG@10
0.813 against 0.806 for score fusion: score fusion won on the arXiv sample, RRF on the
MEDLINE MeSH queries), and it cannot be thrown by one list's score scale, so
``fuse_rankings`` uses RRF.
"""

from __future__ import annotations

from collections.abc import Sequence

from paperwire.models import Hit

RRF_K = 60.0  # the constant of Cormack et al.; flat enough that both lists count


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Hit]],
    *,
    k: float = RRF_K,
    weights: Sequence[float] | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """``score(d) = Σ w_i / (k + rank_i(d))`` over the lists holding ``d`` (rank from 1).

    Ties keep the order of first appearance (earlier lists first), so the result is
    deterministic.
    """
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.paper_id] = scores.get(hit.paper_id, 0.0) + weight / (k + rank)
    return _top(scores, limit)


def weighted_score_fusion(
    rankings: Sequence[Sequence[Hit]],
    *,
    weights: Sequence[float] | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """Scores min-max normalised per list to [0, 1], then summed with weights."""
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        high = max(h.score for h in ranking)
        low = min(h.score for h in ranking)
        span = high - low
        for hit in ranking:
            norm = (hit.score - low) / span if span > 0 else 1.0
            scores[hit.paper_id] = scores.get(hit.paper_id, 0.0) + weight * norm
    return _top(scores, limit)


def _top(scores: dict[str, float], limit: int | None) -> list[Hit]:
    order = sorted(scores.items(), key=lambda item: -item[1])  # stable: first seen wins ties
    if limit is not None:
        order = order[:limit]
    return [Hit(paper_id, score) for paper_id, score in order]


def fuse_rankings(keyword: Sequence[Hit], semantic: Sequence[Hit], *, limit: int) -> list[Hit]:
    """The fusion paperwire uses for ``mode=hybrid`` (chosen on the dev set)."""
    return reciprocal_rank_fusion([keyword, semantic], limit=limit)
