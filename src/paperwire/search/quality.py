"""Search quality on a judged dev set: nDCG@k and recall@k (``bench/search_quality.py``
prints them; a test holds keyword quality to its recorded floor)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from paperwire.models import Hit


@dataclass(frozen=True, slots=True)
class Judged:
    id: str
    query: str
    relevant: dict[str, int]  # paper id -> grade (2 on topic, 1 related)


def load_dev_set(path: Path) -> list[Judged]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Judged(q["id"], q["query"], dict(q["relevant"])) for q in data["queries"]]


def ndcg_at(hits: Sequence[Hit], relevant: dict[str, int], k: int = 10) -> float:
    gains = [relevant.get(h.paper_id, 0) for h in hits[:k]]
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(hits: Sequence[Hit], relevant: dict[str, int], k: int = 10) -> float:
    if not relevant:
        return 0.0
    found = {h.paper_id for h in hits[:k]} & set(relevant)
    return len(found) / len(relevant)


@dataclass(frozen=True, slots=True)
class Quality:
    ndcg: float
    recall: float
    queries: int


def evaluate(rank: Callable[[str], list[Hit]], dev: Sequence[Judged], *, k: int = 10) -> Quality:
    """Mean nDCG@k and recall@k of ``rank(query)`` over the dev set."""
    ndcgs, recalls = [], []
    for judged in dev:
        hits = rank(judged.query)
        ndcgs.append(ndcg_at(hits, judged.relevant, k))
        recalls.append(recall_at(hits, judged.relevant, k))
    n = len(dev)
    return Quality(sum(ndcgs) / n if n else 0.0, sum(recalls) / n if n else 0.0, n)
