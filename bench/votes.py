"""Sustained upvotes per second on SQLite, with every count checked exact at the end.

Builds a fresh SQLite database of P papers and U accounts, then votes for D seconds
from T threads at once, each thread for its own accounts (so it knows exactly which
votes it holds): four in five operations cast a vote on a random paper, one in five
withdraws one of the thread's votes. At the end every paper's ``paper_stats.upvotes``
must equal its vote rows, and the vote rows must be exactly the votes the threads hold.

Two paths:
- ``store``: the domain function ``community.votes.set_vote`` (what every route calls).
- ``app``: ``POST``/``DELETE /api/papers/{id}/vote`` through the real ASGI app in this
  process (``httpx.ASGITransport``), each account with its personal API token, T
  requests in flight: routing, authentication (a token lookup per request) and JSON
  included, no network.

Usage: PYTHONPATH=src python bench/votes.py [--papers 2000] [--users 400]
       [--threads 8] [--seconds 15] [--mode store|app|both]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from paperwire.community import accounts
from paperwire.community.votes import set_vote
from paperwire.config import Settings
from paperwire.models import Author, Paper, User
from paperwire.store import Store, open_store, upgrade_database

CAST_SHARE = 0.8


def papers(n: int) -> Iterator[Paper]:
    start = date(2026, 1, 5)
    for i in range(n):
        yield Paper(
            id=f"2601.{i + 1:05d}",
            title=f"Paper {i}",
            abstract="An abstract.",
            authors=[Author(f"Author {i % 97}")],
            categories=["cs.LG"],
            version=1,
            announced=start + timedelta(days=i % 20),
        )


def build(folder: Path, n_papers: int, n_users: int) -> tuple[str, list[str], list[User]]:
    url = f"sqlite:///{folder / 'votes.db'}"
    upgrade_database(url)
    store = open_store(url)
    try:
        batch = list(papers(n_papers))
        store.upsert_papers(batch)
        now = datetime.now(UTC)
        users = [accounts.add_user(store, f"voter{i}@example.org", now=now) for i in range(n_users)]
    finally:
        store.close()
    return url, [p.id for p in batch], users


def check(store: Store, held: set[tuple[int, str]]) -> None:
    """Counters equal rows for every paper, and the rows are exactly the votes held."""
    with store._reading() as db:  # type: ignore[attr-defined]
        rows = db.fetchall("SELECT user_id, paper_id FROM votes")
        bad = db.fetchall(
            "SELECT s.paper_id, s.upvotes, COUNT(v.user_id) AS n FROM paper_stats s "
            "LEFT JOIN votes v ON v.paper_id = s.paper_id GROUP BY s.paper_id, s.upvotes "
            "HAVING s.upvotes <> COUNT(v.user_id)"
        )
        total = db.fetchone("SELECT COALESCE(SUM(upvotes), 0) AS n FROM paper_stats")
    stored = {(int(r["user_id"]), r["paper_id"]) for r in rows}
    assert not bad, f"counters differ from rows: {bad[:5]}"
    assert stored == held, f"{len(stored ^ held)} votes differ from what the voters hold"
    assert total is not None and int(total["n"]) == len(held)
    print(f"  check: {len(held)} votes, every counter equal to its rows: exact")


def run_store(url: str, ids: list[str], users: list[User], threads: int, seconds: float) -> None:
    store = open_store(url)
    held: list[set[tuple[int, str]]] = [set() for _ in range(threads)]
    ops = [0] * threads
    barrier = threading.Barrier(threads + 1)
    deadline = [0.0]

    def work(k: int) -> None:
        rng = random.Random(k)
        mine = users[k::threads]
        barrier.wait()
        while time.perf_counter() < deadline[0]:
            if held[k] and rng.random() > CAST_SHARE:
                user_id, pid = rng.choice(sorted(held[k]))
                user = next(u for u in mine if u.id == user_id)
                result = set_vote(store, user, pid, voted=False, now=datetime.now(UTC))
                held[k].discard((user_id, pid))
            else:
                user, pid = rng.choice(mine), rng.choice(ids)
                result = set_vote(
                    store,
                    user,
                    pid,
                    voted=True,
                    now=datetime.now(UTC),
                    address_hash=f"addr{user.id % 50}",
                    burst_limit=5,
                )
                held[k].add((user.id, pid))
            assert result.upvotes >= 0
            ops[k] += 1

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    barrier.wait()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    total = sum(ops)
    print(
        f"store: {total} vote operations in {elapsed:.1f} s from {threads} threads: "
        f"{total / elapsed:,.0f} votes/s"
    )
    check(store, set().union(*held))
    store.close()


def run_app(
    url: str, folder: Path, ids: list[str], users: list[User], concurrency: int, seconds: float
) -> None:
    import httpx

    from paperwire.app import create_app

    store = open_store(url)
    tokens = {u.id: accounts.create_api_token(store, u, now=datetime.now(UTC))[0] for u in users}
    settings = Settings(
        database_url=url,
        data_dir=folder / "data",
        load_sample=False,
        embedder="hash",
        base_url="http://testserver",
    )
    app = create_app(settings, store=store)
    held: set[tuple[int, str]] = set()
    ops = 0

    async def voter(k: int, deadline: float, client: httpx.AsyncClient) -> None:
        nonlocal ops
        rng = random.Random(k)
        mine = users[k::concurrency]
        own: set[tuple[int, str]] = set()
        while time.perf_counter() < deadline:
            if own and rng.random() > CAST_SHARE:
                user_id, pid = rng.choice(sorted(own))
                r = await client.delete(
                    f"/api/papers/{pid}/vote",
                    headers={"Authorization": f"Bearer {tokens[user_id]}"},
                )
                own.discard((user_id, pid))
            else:
                user, pid = rng.choice(mine), rng.choice(ids)
                r = await client.post(
                    f"/api/papers/{pid}/vote",
                    headers={"Authorization": f"Bearer {tokens[user.id]}"},
                )
                own.add((user.id, pid))
            assert r.status_code == 200, r.text
            ops += 1
        held.update(own)

    async def main() -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            started = time.perf_counter()
            deadline = started + seconds
            await asyncio.gather(*(voter(k, deadline, client) for k in range(concurrency)))
            return time.perf_counter() - started

    elapsed = asyncio.run(main())
    print(
        f"app: {ops} vote requests in {elapsed:.1f} s, {concurrency} in flight: "
        f"{ops / elapsed:,.0f} votes/s"
    )
    check(store, held)
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--mode", choices=("store", "app", "both"), default="both")
    args = parser.parse_args()
    print(
        f"SQLite {__import__('sqlite3').sqlite_version}, Python {sys.version.split()[0]}, "
        f"{args.papers} papers, {args.users} accounts"
    )
    with tempfile.TemporaryDirectory(prefix="paperwire-votes-") as tmp:
        if args.mode in ("store", "both"):
            folder = Path(tmp) / "store"
            folder.mkdir()
            url, ids, users = build(folder, args.papers, args.users)
            run_store(url, ids, users, args.threads, args.seconds)
        if args.mode in ("app", "both"):
            folder = Path(tmp) / "app"
            folder.mkdir()
            url, ids, users = build(folder, args.papers, args.users)
            run_app(url, folder, ids, users, args.threads, args.seconds)


if __name__ == "__main__":
    main()
