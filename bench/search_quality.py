"""Search quality on the judged dev set: nDCG@10 and recall@10 for keyword, semantic
and hybrid search (and the fusion variants hybrid was chosen from).

Loads the bundled arXiv sample into a fresh SQLite database (``--postgres URL`` to use
an empty migrated PostgreSQL database instead), embeds every paper with the chosen
embedder (``--embedder onnx|sentence|hash``; the real ones load the packaged
all-MiniLM-L6-v2 offline) and ranks exactly by cosine, so the figures measure the
rankers and the fusion, not an ANN index.

A second dev set is built from the MEDLINE excerpts in tests/data/medline (107 real
records): each content MeSH heading carried by 3+ papers becomes a query (``Behavior,
Animal`` → "animal behavior"), judged relevant (grade 1) for exactly the papers indexed
with it. MeSH terms are not in the keyword index, so no ranker sees the judgments.

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
from paperwire.search.quality import Judged, evaluate, load_dev_set
from paperwire.search.query import parse_query
from paperwire.store import Store, open_store, upgrade_database

DEV = Path(__file__).resolve().parent.parent / "tests" / "data" / "search_dev"
DEPTH = 50  # candidates per ranker before fusion, as search_papers uses
MEDLINE = DEV.parent / "medline"
CHECK_TAGS = {  # MeSH check tags and other headings too general to be a topic
    "Humans", "Animals", "Female", "Male", "Mice", "Rats", "Adult", "Aged", "Middle Aged",
    "Adolescent", "Child", "Pregnancy", "Time Factors", "Reference Values",
    "Molecular Sequence Data", "Amino Acid Sequence", "History, 20th Century",
    "Mice, Inbred CBA", "Mice, Inbred C57BL", "Mice, Inbred BALB C", "Double-Blind Method",
    "United States", "Species Specificity",
}


def mesh_query(term: str) -> str:
    """``Behavior, Animal`` → ``animal behavior``: how a person would type the heading."""
    parts = [p.strip() for p in term.split(",")]
    return " ".join(reversed(parts)).lower() if len(parts) == 2 else term.lower()


def medline_dev_set(store: Store) -> list[Judged]:
    from collections import Counter

    from paperwire.ingest.medline import import_medline

    import_medline(store, sorted(MEDLINE.glob("pubmed*-excerpt.xml*")))
    papers = [p for p in store.latest_papers(limit=100_000) if p.source == "medline"]
    counts = Counter(m for p in papers for m in set(p.mesh_terms))
    dev = []
    for term, n in sorted(counts.items()):
        if n >= 3 and term not in CHECK_TAGS:
            relevant = {p.id: 1 for p in papers if term in p.mesh_terms}
            dev.append(Judged(f"mesh:{term}", mesh_query(term), relevant))
    return dev


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
        medline = medline_dev_set(store)
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
        print(f"{len(ids)} papers ({store.dialect}), embedder {embedder.name}; "
              f"dev sets: arXiv sample {len(dev)} queries, MEDLINE MeSH {len(medline)} queries")
        print(f"{'ranker':<28} {'arXiv nDCG@10':>14} {'recall@10':>10} {'MeSH nDCG@10':>13} {'recall@10':>10}")
        for name, rank in rankers.items():
            a, m = evaluate(rank, dev), evaluate(rank, medline)
            print(f"{name:<28} {a.ndcg:>14.3f} {a.recall:>10.3f} {m.ndcg:>13.3f} {m.recall:>10.3f}")
        store.close()


if __name__ == "__main__":
    main()
