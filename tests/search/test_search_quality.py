"""Keyword quality on the dev set must not drop below its recorded figure
(docs/benchmarks.md, ``bench/search_quality.py``) by more than a small margin.

Hybrid and semantic quality need the real embedder (minutes to convert and embed on
this machine), so they are measured by the bench, not here."""

from __future__ import annotations

from pathlib import Path

from paperwire.search.keyword import keyword_search
from paperwire.search.quality import evaluate, load_dev_set
from paperwire.store import Store

DEV = Path(__file__).resolve().parent.parent / "data" / "search_dev" / "arxiv_sample.json"
# Recorded nDCG@10 / recall@10 of keyword search on the arXiv-sample dev set.
RECORDED = {"sqlite": (0.851, 0.862), "postgresql": (0.851, 0.862)}
MARGIN = 0.02


def test_keyword_quality_holds_its_recorded_floor(sample_store: Store) -> None:
    dev = load_dev_set(DEV)
    quality = evaluate(lambda q: keyword_search(sample_store, q, limit=10), dev)
    ndcg, recall = RECORDED[sample_store.dialect]
    print(f"{sample_store.dialect}: nDCG@10 {quality.ndcg:.3f} recall@10 {quality.recall:.3f}")
    assert quality.queries == 36
    assert quality.ndcg >= ndcg - MARGIN
    assert quality.recall >= recall - MARGIN


def test_dev_set_judgments_name_real_sample_papers(sample_store: Store) -> None:
    known = {p.id for p in sample_store.latest_papers(limit=1000)}
    for judged in load_dev_set(DEV):
        assert set(judged.relevant) <= known, judged.id
        assert judged.relevant and max(judged.relevant.values()) == 2
