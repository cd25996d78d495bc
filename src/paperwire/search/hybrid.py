"""Fuse keyword and semantic rankings into one.

Three ways, measured on the harder dev set (``bench/search_levers.py``, settings chosen
on its tuning half, docs/benchmarks.md "Levers"): reciprocal rank fusion (RRF: ranks
only), ``weighted_score_fusion`` (each list's scores min-max normalised to [0, 1]) and
``zscore_fusion`` (each list's scores in standard deviations above its lowest, weighted).
z-score fusion with 0.3 keyword / 0.7 semantic scored best on the tuning half (0.769
nDCG@10 against 0.725 for RRF k=60) and on the held-out half (0.826 against 0.787):
a BM25 margin means something, and a paraphrase query's words often miss the title,
so the semantic list deserves more weight. ``fuse_rankings`` uses it.
"""

from __future__ import annotations

from collections.abc import Sequence

from paperwire.models import Hit

RRF_K = 60.0  # the constant of Cormack et al.; flat enough that both lists count
HYBRID_WEIGHTS = (0.3, 0.7)  # keyword, semantic: chosen on the dev set's tuning half


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
    weights = _weights_for(rankings, weights)
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
    weights = _weights_for(rankings, weights)
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


def zscore_fusion(
    rankings: Sequence[Sequence[Hit]],
    *,
    weights: Sequence[float] | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """Each list's scores as standard deviations above its lowest, summed with weights.

    Unlike min-max, one outlier does not squash the rest of a list; a list whose
    scores are all equal gives each of its papers one unit. A paper missing from a list
    gets nothing from it."""
    weights = _weights_for(rankings, weights)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        values = [h.score for h in ranking]
        low = min(values)
        mean = sum(values) / len(values)
        sd = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
        for hit in ranking:
            norm = (hit.score - low) / sd if sd > 0 else 1.0
            scores[hit.paper_id] = scores.get(hit.paper_id, 0.0) + weight * norm
    return _top(scores, limit)


def _weights_for(rankings: Sequence[Sequence[Hit]], weights: Sequence[float] | None) -> list[float]:
    """One weight per ranking, all 1.0 when none are given."""
    chosen = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(chosen) != len(rankings):
        raise ValueError("one weight per ranking")
    return chosen


def _top(scores: dict[str, float], limit: int | None) -> list[Hit]:
    order = sorted(scores.items(), key=lambda item: -item[1])  # stable: first seen wins ties
    if limit is not None:
        order = order[:limit]
    return [Hit(paper_id, score) for paper_id, score in order]


def fuse_rankings(keyword: Sequence[Hit], semantic: Sequence[Hit], *, limit: int) -> list[Hit]:
    """The fusion paperwire uses for ``mode=hybrid`` (chosen on the dev set's tuning half)."""
    return zscore_fusion([keyword, semantic], weights=HYBRID_WEIGHTS, limit=limit)
