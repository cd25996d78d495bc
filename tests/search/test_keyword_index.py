"""How the keyword index is kept: migration of existing rows, bulk backlog, VACUUM."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from paperwire.models import Author, Paper
from paperwire.search.keyword import keyword_search
from paperwire.store import Store, open_store, upgrade_database
from paperwire.store.codec import PAPER_COLUMNS, paper_to_row


def rows(n: int, word: str) -> list[tuple]:
    return [
        paper_to_row(Paper(id=f"2402.{i:05d}", title=f"{word} number {i}", abstract="text",
                           authors=[Author("Kim Lee")], categories=["cs.LG"]))
        for i in range(n)
    ]


_INSERT = f"INSERT INTO papers ({', '.join(PAPER_COLUMNS)}) VALUES ({', '.join('?' * len(PAPER_COLUMNS))})"


def bulk_write(store: Store, data: list[tuple]) -> None:
    """What a bulk importer does: write rows without the per-batch index refresh."""
    with store._writing() as db:  # type: ignore[attr-defined]
        db.executemany(_INSERT, data)


def test_migration_indexes_existing_rows(request: pytest.FixtureRequest, tmp_path: Path,
                                         backend: str) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        import psycopg

        server = request.getfixturevalue("pg_server")
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE before_search")
        url = server.get_uri("before_search")
    upgrade_database(url, "0002")
    store = open_store(url)
    try:
        bulk_write(store, rows(3, "ocelot"))
        upgrade_database(url)
        assert len(keyword_search(store, "ocelot")) == 3
        assert store.keyword_backlog() == 0
    finally:
        store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_bulk_writes_are_searchable_after_a_refresh(store: Store) -> None:
    bulk_write(store, rows(25, "pangolin"))
    if store.dialect == "sqlite":
        assert store.keyword_backlog() == 25
        assert keyword_search(store, "pangolin") == []
        assert store.refresh_keyword_index(limit=10) == 10
        assert store.keyword_backlog() == 15
        assert store.refresh_keyword_index() == 15
    else:  # a generated column: always current
        assert store.refresh_keyword_index() == 0
    assert store.keyword_backlog() == 0
    assert len(keyword_search(store, "pangolin", limit=100)) == 25


def test_a_deferred_upsert_waits_for_the_refresh(store: Store) -> None:
    counts = store.upsert_papers([Paper(id="2403.00007", title="Tapir tracks")], defer_index=True)
    assert counts.added == 1
    if store.dialect == "sqlite":
        assert keyword_search(store, "tapir") == [] and store.keyword_backlog() == 1
    store.refresh_keyword_index()
    assert [h.paper_id for h in keyword_search(store, "tapir")] == ["2403.00007"]


def test_an_ordinary_upsert_also_clears_a_small_backlog(store: Store) -> None:
    bulk_write(store, rows(5, "wombat"))
    store.upsert_papers([Paper(id="2403.00001", title="Wombat burrows", abstract="dig")])
    assert len(keyword_search(store, "wombat")) == 6
    assert store.keyword_backlog() == 0


def test_deleted_papers_leave_the_index(store: Store) -> None:
    store.upsert_papers([Paper(id=f"2403.0000{i}", title=f"Lemur {i}") for i in range(1, 4)])
    with store._writing() as db:  # type: ignore[attr-defined]
        db.execute("DELETE FROM papers WHERE id IN ('2403.00002', '2403.00003')")
    assert [h.paper_id for h in keyword_search(store, "lemur")] == ["2403.00001"]
    # the newest rowid was freed: a new paper may reuse it and must be indexed
    store.upsert_papers([Paper(id="2403.00009", title="Lemur again")])
    assert {h.paper_id for h in keyword_search(store, "lemur")} == {"2403.00001", "2403.00009"}


def test_vacuum_keeps_the_rowids_the_index_uses(sqlite_store: Store, sqlite_url: str) -> None:
    sqlite_store.upsert_papers([Paper(id=f"2404.{i:05d}", title=f"Okapi {i}") for i in range(50)])
    with sqlite_store._writing() as db:  # type: ignore[attr-defined]
        db.execute("DELETE FROM papers WHERE id < '2404.00025'")
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    conn.execute("VACUUM")
    conn.close()
    found = {h.paper_id for h in keyword_search(sqlite_store, "okapi", limit=100)}
    assert found == {f"2404.{i:05d}" for i in range(25, 50)}
    assert {h.paper_id for h in keyword_search(sqlite_store, "49")} == {"2404.00049"}
