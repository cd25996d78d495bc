"""A store opened with a deadline (the web process's) stops a read statement past it
with ``QueryTimeout`` on both backends, leaves the connection usable, and never cuts a
write short."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from paperwire.models import Author, Paper
from paperwire.search.keyword import keyword_search
from paperwire.store import QueryTimeout, Store, open_store

PAPERS = 3000
# Every paper matches and is ranked against 63 words: ~10–20 ms of work on either
# backend here, far past the 1 ms deadline PostgreSQL's statement_timeout can express.
HEAVY = "graph networks testing " + " ".join(f"w{i}" for i in range(60))


def papers(prefix: str, count: int) -> list[Paper]:
    return [
        Paper(
            id=f"{prefix}.{i:05d}",
            title=f"Graph networks study {i}",
            abstract="graph networks testing " * 20 + f"w{i % 60}",
            authors=[Author(name="Ada Lovelace")],
            categories=["cs.LG"],
            version=1,
            submitted=datetime(2024, 1, 1, tzinfo=UTC),
        )
        for i in range(count)
    ]


@pytest.fixture
def filled_url(database_url: str) -> str:
    store = open_store(database_url)
    try:
        store.upsert_papers(papers("2401", PAPERS))
    finally:
        store.close()
    return database_url


@pytest.fixture
def hasty(filled_url: str) -> Iterator[Store]:
    """A store whose reads may run 1 µs (PostgreSQL rounds it up to 1 ms)."""
    store = open_store(filled_url, query_timeout=1e-6)
    try:
        yield store
    finally:
        store.close()


def test_a_long_read_is_stopped_at_the_deadline(filled_url: str, hasty: Store) -> None:
    unlimited = open_store(filled_url)
    try:
        assert len(keyword_search(unlimited, HEAVY, limit=100)) == 100
    finally:
        unlimited.close()
    with pytest.raises(QueryTimeout, match=r"did not answer within 1e-06 s"):
        keyword_search(hasty, HEAVY, limit=100)
    if hasty.dialect == "sqlite":
        # A statement too short to reach a deadline check still answers, on the same
        # connection: the interrupted statement left nothing behind. (PostgreSQL's
        # connection is checked in the lock test, with a deadline a lookup can meet.)
        paper = hasty.get_paper("2401.00007")
        assert paper is not None and paper.title == "Graph networks study 7"


def test_writes_are_not_held_to_the_deadline(hasty: Store) -> None:
    counts = hasty.upsert_papers(papers("2402", PAPERS))
    assert counts.added == PAPERS
    with pytest.raises(QueryTimeout):
        keyword_search(hasty, HEAVY, limit=100)  # a read still is


def test_a_read_waits_no_longer_than_the_deadline_for_a_lock(filled_url: str) -> None:
    """PostgreSQL: a read stuck behind another session's lock is stopped at the
    deadline, and the same connection answers once the lock is gone. SQLite (WAL): a
    read never waits for a writer, it reads the last committed state."""
    store = open_store(filled_url, query_timeout=0.3)
    try:
        assert store.get_paper("2401.00001") is not None  # connection opened
        with held_lock(filled_url, store.dialect):
            started = time.monotonic()
            if store.dialect == "postgresql":
                with pytest.raises(QueryTimeout):
                    store.get_paper("2401.00001")
                assert 0.25 < time.monotonic() - started < 10
            else:
                paper = store.get_paper("2401.00001")
                assert paper is not None and paper.title == "Graph networks study 1"
        paper = store.get_paper("2401.00001")
        assert paper is not None and paper.title == "Graph networks study 1"
        assert len(keyword_search(store, "graph", limit=5)) == 5
    finally:
        store.close()


class held_lock:
    """Another session holding what a writer would: PostgreSQL's ACCESS EXCLUSIVE lock
    on ``papers`` (as ALTER TABLE or a bulk index rebuild takes), SQLite's write lock
    with an uncommitted change."""

    def __init__(self, url: str, dialect: str) -> None:
        self.url, self.dialect = url, dialect

    def __enter__(self) -> None:
        if self.dialect == "postgresql":
            import psycopg

            self.conn = psycopg.connect(self.url)
            self.conn.execute("LOCK TABLE papers IN ACCESS EXCLUSIVE MODE")
        else:
            import sqlite3

            from paperwire.store.factory import sqlite_path

            self.conn = sqlite3.connect(sqlite_path(self.url), isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE papers SET title = 'changed' WHERE id = '2401.00001'")

    def __exit__(self, *exc: object) -> None:
        self.conn.rollback() if self.dialect == "postgresql" else self.conn.execute("ROLLBACK")
        self.conn.close()


def test_a_negative_deadline_is_refused(filled_url: str) -> None:
    with pytest.raises(ValueError, match="query_timeout"):
        open_store(filled_url, query_timeout=-1)
