"""Latency of the listing queries behind the site and APIs on a large database, and the
cost of the data-version triggers on imports.

Builds (or reuses) a SQLite database of N synthetic papers with ``bench/make_web_db.py``'s
generator, then times each browse function R times and prints median and p95 in ms.
Then imports the same batch into two fresh databases, one with the data-version
triggers and one without, alternating, and prints papers/s of both and the ratio.

Usage: python bench/listing_queries.py [N=100000] [R=30] [DATABASE_URL]
(PostgreSQL: pass a postgresql:// URL as the third argument.)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_web_db import synthetic_papers

from paperwire.browse.listing import (
    papers_by_author,
    papers_for_day,
    papers_for_range,
    papers_in_category,
)
from paperwire.browse.periods import month_period, week_period
from paperwire.community.trending import trending_papers
from paperwire.models import (
    Author,
    Paper,
    SearchFilters,
)
from paperwire.store import Store, open_store, upgrade_database


def paper_on(day: date, number: int, *, categories: tuple[str, ...]) -> Paper:
    return Paper(id=f"{day:%y%m}.{number:05d}", title=f"Rare {number}", authors=[Author("R. Are")],
                 categories=list(categories), version=1, announced=day)


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    """(first call, median, p95) in ms; the first call fills the count memo."""
    started = time.perf_counter()
    fn()
    cold = (time.perf_counter() - started) * 1000
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return cold, statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def fill(store: Store, n: int) -> float:
    papers = synthetic_papers(n)
    started = time.perf_counter()
    for start in range(0, n, 5000):
        store.upsert_papers(papers[start : start + 5000])
    return n / (time.perf_counter() - started)


def query_table(store: Store, repeats: int) -> None:
    newest = store.newest_listed_day()
    assert newest is not None
    rare = [paper_on(newest - timedelta(days=300 + i), 90000 + i, categories=("q-fin.TR",)) for i in range(5)]
    store.upsert_papers(rare)  # a category of 5 papers, the oldest in the database
    day_listing = papers_for_day(store, newest)
    middle = newest - timedelta(days=40)
    deep_cursor = None
    for _ in range(10):  # ten pages into a month
        deep_cursor = papers_for_range(store, month_period(middle), limit=50, cursor=deep_cursor,
                                       with_counts=False).next_cursor
    rare_author = day_listing.papers[0].authors[0].name
    cases: list[tuple[str, Callable[[], object]]] = [
        ("data_version (304 path)", store.data_version),
        ("newest day, 50 + counts", lambda: papers_for_day(store)),
        ("newest day, 50, no counts", lambda: papers_for_day(store, with_counts=False)),
        ("day + category cs.CV", lambda: papers_for_day(store, newest, filters=SearchFilters(categories=("cs.CV",)))),
        ("day + has_code", lambda: papers_for_day(store, newest, filters=SearchFilters(has_code=True))),
        ("week, 50 + counts", lambda: papers_for_range(store, week_period(middle))),
        ("month, 50 + counts", lambda: papers_for_range(store, month_period(middle))),
        ("month, page 11 (cursor)", lambda: papers_for_range(store, month_period(middle), cursor=deep_cursor, with_counts=False)),
        ("trending month", lambda: trending_papers(store, "month", now=datetime.now(UTC))),
        ("author (all time) + counts", lambda: papers_by_author(store, rare_author)),
        ("family name (all time) + counts", lambda: papers_by_author(store, rare_author.split()[-1])),
        ("day + archive cs", lambda: papers_for_day(store, newest, filters=SearchFilters(categories=("cs",)))),
        ("archive q-fin (all time) + counts", lambda: papers_in_category(store, "q-fin")),
        ("category cs.LG (all time) + counts", lambda: papers_in_category(store, "cs.LG")),
        ("category cs.LG, 50, no counts", lambda: papers_in_category(store, "cs.LG", with_counts=False)),
        ("category econ.EM + cursor", lambda: papers_in_category(store, "econ.EM", with_counts=False, cursor=deep_cursor)),
        ("category q-fin.TR (5 papers) + counts", lambda: papers_in_category(store, "q-fin.TR")),
    ]
    print(f"{'query':40} {'first ms':>10} {'median ms':>10} {'p95 ms':>10}")
    for name, fn in cases:
        cold, median, p95 = timed(fn, repeats)
        print(f"{name:40} {cold:10.2f} {median:10.2f} {p95:10.2f}")


def trigger_cost(n: int) -> None:
    """Import n papers with and without the data-version triggers, alternating."""
    import sqlite3

    rates: dict[str, list[float]] = {"with triggers": [], "without": []}
    for round_ in range(2):
        for label in rates:
            folder = tempfile.mkdtemp(prefix="pw-trig-")
            url = f"sqlite:///{folder}/t.db"
            upgrade_database(url)
            if label == "without":
                conn = sqlite3.connect(f"{folder}/t.db")
                for event in ("insert", "update", "delete"):
                    conn.execute(f"DROP TRIGGER papers_data_version_{event}")
                conn.commit()
                conn.close()
            store = open_store(url)
            rates[label].append(fill(store, n))
            store.close()
        del round_
    best = {k: max(v) for k, v in rates.items()}
    print(f"import {n} papers: with triggers {best['with triggers']:.0f}/s, without "
          f"{best['without']:.0f}/s, ratio {best['with triggers'] / best['without']:.3f}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    if len(sys.argv) > 3:
        url = sys.argv[3]
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='pw-listing-')}/bench.db"
    upgrade_database(url)
    store = open_store(url)
    if store.count_papers() < n:
        rate = fill(store, n)
        print(f"filled {n} papers at {rate:.0f}/s into {url}")
    print(f"{store.count_papers()} papers, backend {store.dialect}")
    query_table(store, repeats)
    store.close()
    if url.startswith("sqlite"):
        trigger_cost(min(n, 20_000))


if __name__ == "__main__":
    main()
