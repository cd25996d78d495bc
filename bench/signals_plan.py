"""Time to plan a signals run (what is due) on a large database, and the indexes it uses.

Builds (or reuses) a database of N synthetic papers written straight into the papers
table (only the columns planning reads: day, source, code links; no abstracts, no
keyword index), a share of them linking a GitHub repository, so migration 0011's
triggers fill ``repositories`` and ``paper_repositories`` as upserts would. Then times
``Store.repositories_due`` and ``Store.hub_papers_due`` in three states:

- first run: nothing was ever checked (never-checked entries, newest paper first);
- steady, some due: every repository checked, 5 % due again; 80 % of the papers
  looked up on the Hub, 5 % of those due again;
- steady, none due: the common case between two runs.

Prints median and p95 in ms over R repeats, and each query's plan.

Usage: python bench/signals_plan.py [--papers 1000000] [--code-share 0.2]
       [--repeats 30] [--limit 1000] [--database-url URL]
(default database: a SQLite file under /tmp, kept and reused for the same N.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from paperwire.store import Store, open_store, upgrade_database

NEWEST = date(2026, 11, 20)
NOW = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
BATCH = 20_000


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    fn()  # warm the cache
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def paper_rows(n: int, code_share: float, seed: int = 11) -> Any:
    """(id, source, title, listed_day, has_code, links, fingerprint) of n papers, 1,250 a
    day back from NEWEST; a code paper links one repository, some repositories shared."""
    rng = random.Random(seed)
    for i in range(n):
        day = NEWEST - timedelta(days=i // 1250)
        links: list[dict[str, str]] = [{"kind": "abs", "url": f"https://arxiv.org/abs/x{i}"}]
        code = rng.random() < code_share
        if code:
            repo = i if rng.random() < 0.9 else rng.randrange(max(1, i))  # a tenth reuse one
            links.append(
                {"kind": "code", "url": f"https://github.com/owner{repo % 50000}/repo{repo}"}
            )
        yield (
            f"{day:%y%m}.{i:07d}",
            "arxiv",
            f"Paper {i}",
            day,
            int(code),
            json.dumps(links),
            f"fp{i}",
        )


def build(store: Store, n: int, code_share: float) -> None:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT COUNT(*) AS n FROM papers")
    if row and int(row["n"]) == n:
        print(f"reusing {n:,} papers")
        return
    started = time.perf_counter()
    rows = list(paper_rows(n, code_share))
    sql = (
        "INSERT INTO papers (id, source, title, listed_day, has_code, links, fingerprint) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    for start in range(0, n, BATCH):
        with store._writing() as db:  # type: ignore[attr-defined]
            db.executemany(sql, rows[start : start + BATCH])
    print(f"built {n:,} papers in {time.perf_counter() - started:.0f} s")


def set_state(store: Store, state: str) -> None:
    """Make the repositories and Hub look-ups as ``state`` names."""
    with store._writing() as db:  # type: ignore[attr-defined]
        db.execute("DELETE FROM hub_checks")
        if state == "first run":
            db.execute(
                "UPDATE repositories SET status = 'new', next_check_at = NULL, checked_at = NULL"
            )
            db.execute("UPDATE papers SET hub_pending = 1 WHERE hub_pending = 0")
            return
        names = [r["full_name"] for r in db.fetchall("SELECT full_name FROM repositories")]
        due = state == "steady, some due"
        rng = random.Random(5)
        updates = []
        for name in names:
            if due and rng.random() < 0.05:
                at = NOW - timedelta(hours=rng.randint(1, 48))
            else:
                at = NOW + timedelta(hours=rng.randint(1, 168))
            updates.append(("ok", at - timedelta(days=1), at, name))
        db.executemany(
            "UPDATE repositories SET status = ?, stars = 1, checked_at = ?, next_check_at = ? "
            "WHERE full_name = ?",
            updates,
        )
        # The newest fifth of the papers not yet looked up on the Hub, the rest looked up.
        total = int(db.fetchone("SELECT COUNT(*) AS n FROM papers")["n"])  # type: ignore[index]
        cut = db.fetchone(
            "SELECT listed_day FROM papers ORDER BY listed_day DESC LIMIT 1 OFFSET ?",
            (total // 5,),
        )
        cutoff = cut["listed_day"] if cut else NEWEST  # type: ignore[index]
        db.execute("UPDATE papers SET hub_pending = 1 WHERE listed_day >= ?", (cutoff,))
        db.execute("UPDATE papers SET hub_pending = 0 WHERE listed_day < ?", (cutoff,))
        later = NOW + timedelta(days=3)
        earlier = NOW - timedelta(hours=2) if due else later
        db.execute(
            "INSERT INTO hub_checks (paper_id, checked_at, next_check_at) "
            "SELECT id, ?, CASE WHEN id LIKE '%7' THEN ? ELSE ? END FROM papers WHERE hub_pending = 0",
            (NOW - timedelta(days=1), earlier, later),
        )


def plans(store: Store) -> list[str]:
    """Each planning query's plan, as the backend explains it."""
    explain = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN "
    hub_from = "papers INDEXED BY papers_hub_pending" if store.dialect == "sqlite" else "papers"
    queries = {
        "repositories never checked": "SELECT * FROM repositories WHERE next_check_at IS NULL "
        "ORDER BY newest_day DESC, full_name DESC LIMIT 1000",
        "repositories due": "SELECT * FROM repositories WHERE next_check_at <= '2026-11-21' "
        "ORDER BY next_check_at LIMIT 1000",
        "Hub never looked up": f"SELECT id, listed_day FROM {hub_from} WHERE hub_pending = 1 "
        "AND source = 'arxiv' AND listed_day IS NOT NULL ORDER BY listed_day DESC, id DESC LIMIT 200",
        "Hub due": "SELECT h.paper_id, p.listed_day FROM hub_checks h JOIN papers p ON p.id = h.paper_id "
        "WHERE h.next_check_at <= '2026-11-21' ORDER BY h.next_check_at LIMIT 200",
    }
    out = []
    with store._reading() as db:  # type: ignore[attr-defined]
        for name, sql in queries.items():
            rows = db.fetchall(explain + sql)
            detail = " | ".join(str(r.get("detail") or next(iter(r.values()))) for r in rows)
            out.append(f"  {name}: {detail}")
    return out


def measure(store: Store, *, repeats: int, limit: int) -> list[tuple[str, str, float, float, int]]:
    results = []
    for state in ("first run", "steady, some due", "steady, none due"):
        set_state(store, state)
        if store.dialect == "postgresql":
            with store._writing() as db:  # type: ignore[attr-defined]
                db.execute("ANALYZE repositories")
                db.execute("ANALYZE papers")
                db.execute("ANALYZE hub_checks")
        got_repos = len(store.repositories_due(now=NOW, limit=limit))
        got_hub = len(store.hub_papers_due(now=NOW, limit=limit // 5))
        p50, p95 = timed(lambda: store.repositories_due(now=NOW, limit=limit), repeats)
        results.append(("repositories_due", state, p50, p95, got_repos))
        p50, p95 = timed(lambda: store.hub_papers_due(now=NOW, limit=limit // 5), repeats)
        results.append(("hub_papers_due", state, p50, p95, got_hub))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--code-share", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:////tmp/paperwire-signals-plan-{args.papers}.db"
    upgrade_database(url)
    store = open_store(url)
    try:
        build(store, args.papers, args.code_share)
        counts = store.count_repositories()
        print(
            f"{store.dialect}: {args.papers:,} papers, {sum(counts.values()):,} repositories; "
            f"load {os.getloadavg()[0]:.1f}"
        )
        for name, state, p50, p95, got in measure(store, repeats=args.repeats, limit=args.limit):
            print(f"{name:17} {state:18} median {p50:7.2f} ms  p95 {p95:7.2f} ms  ({got} planned)")
        print("plans:")
        print("\n".join(plans(store)))
        print(f"load after: {os.getloadavg()[0]:.1f}")
    finally:
        store.close()


if __name__ == "__main__":
    main()
