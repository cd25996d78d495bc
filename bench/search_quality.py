"""Search quality on the judged dev set: nDCG@10 and recall@10 for keyword, semantic
and hybrid search (and the fusion variants hybrid was chosen from).

Loads the bundled arXiv sample into a fresh SQLite database (``--postgres URL`` to use
an empty migrated PostgreSQL database instead), embeds every paper with the chosen
embedder (``--embedder onnx|sentence|hash``; the real ones load the packaged
all-MiniLM-L6-v2 offline) and ranks exactly by cosine, so the figures measure the
rankers and the fusion, not an ANN index.

Run: ``PYTHONPATH=src python bench/search_quality.py [--embedder onnx]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from paperwire.config import Settings
from paperwire.ingest.sample import load_sample
from paperwire.models import Hit
from paperwire.search.hybrid import fuse_rankings, reciprocal_rank_fusion, weighted_score_fusion
from paperwire.search.keyword import keyword_search
from paperwire.search.quality import evaluate, load_dev_set
from paperwire.search.query import parse_query
from paperwire.store import Store, open_store, upgrade_database

DEV = Path(__file__).resolve().parent.parent / "tests" / "data" / "search_dev"
DEPTH = 50  # candidates per ranker before fusion, as search_papers uses


def exact_semantic(store: Store, embedder, ids: list[str]) -> Callable[[str], list[Hit]]:  # type: ignore[no-untyped-def]
    papers = store.get_papers(ids)
    t0 = time.perf_counter()
    matrix = embedder.embed([f"{p.title}. {p.abstract}" for p in papers])
    print(f"embedded {len(papers)} papers with {embedder.name} in {time.perf_counter() - t0:.1f} s")

    def rank(query: str) -> list[Hit]:
        text = parse_query(query).text
        if not text:
            return []
        scores = matrix @ embedder.embed([text])[0]
        order = np.argsort(-scores)[:DEPTH]
        return [Hit(papers[i].id, float(scores[i])) for i in order]

    return rank


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", default="onnx", choices=["onnx", "sentence", "hash"])
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL (default: SQLite)")
    parser.add_argument("--data-dir", type=Path, default=Path("./data"))
    args = parser.parse_args()
    from paperwire.search.embedders import build_embedder

    embedder = build_embedder(Settings(embedder=args.embedder, data_dir=args.data_dir))
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{tmp}/quality.db"
        upgrade_database(url)
        store = open_store(url)
        load_sample(store)
        ids = [p.id for p in store.latest_papers(limit=100_000)]
        dev = load_dev_set(DEV / "arxiv_sample.json")

        def keyword(q: str) -> list[Hit]:
            return keyword_search(store, q, limit=DEPTH)

        semantic = exact_semantic(store, embedder, ids)
        cache: dict[str, tuple[list[Hit], list[Hit]]] = {}

        def both(q: str) -> tuple[list[Hit], list[Hit]]:
            if q not in cache:
                cache[q] = (keyword(q), semantic(q))
            return cache[q]

        rankers: dict[str, Callable[[str], list[Hit]]] = {
            "keyword": keyword,
            "semantic": semantic,
            "hybrid (shipped)": lambda q: fuse_rankings(*both(q), limit=10),
            "hybrid rrf k=60": lambda q: reciprocal_rank_fusion(both(q), limit=10),
            "hybrid rrf k=20": lambda q: reciprocal_rank_fusion(both(q), k=20, limit=10),
            "hybrid rrf k=60 kw x2": lambda q: reciprocal_rank_fusion(both(q), weights=[2, 1], limit=10),
            "hybrid rrf k=60 sem x2": lambda q: reciprocal_rank_fusion(both(q), weights=[1, 2], limit=10),
            "hybrid score fusion 1:1": lambda q: weighted_score_fusion(both(q), limit=10),
            "hybrid score fusion 1:2": lambda q: weighted_score_fusion(both(q), weights=[1, 2], limit=10),
        }
        print(f"dev set: {len(dev)} queries over {len(ids)} papers ({store.dialect}), embedder {embedder.name}")
        print(f"{'ranker':<28} {'nDCG@10':>8} {'recall@10':>10}")
        for name, rank in rankers.items():
            q = evaluate(rank, dev)
            print(f"{name:<28} {q.ndcg:>8.3f} {q.recall:>10.3f}")
        store.close()


if __name__ == "__main__":
    main()
