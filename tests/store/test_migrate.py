"""Creating SQLite database files: page size for new files, existing files untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from paperwire.store import open_store, upgrade_database
from paperwire.store.migrate import SQLITE_PAGE_SIZE, current_revision


def pragma(path: Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_a_new_database_file_gets_our_page_size_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.db"
    upgrade_database(f"sqlite:///{path}")
    assert pragma(path, "page_size") == SQLITE_PAGE_SIZE != 4096
    assert pragma(path, "journal_mode") == "wal"
    assert current_revision(f"sqlite:///{path}") is not None
    store = open_store(f"sqlite:///{path}")
    try:
        assert store.count_papers() == 0
    finally:
        store.close()


def test_an_existing_database_keeps_its_page_size(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE kept (x INTEGER)")
    conn.execute("INSERT INTO kept VALUES (1)")
    conn.commit()
    conn.close()
    before = pragma(path, "page_size")
    upgrade_database(f"sqlite:///{path}")
    upgrade_database(f"sqlite:///{path}")  # idempotent
    assert pragma(path, "page_size") == before
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT x FROM kept").fetchall() == [(1,)]
    finally:
        conn.close()


def test_the_family_key_is_filled_in_for_authors_stored_before_it(database_url: str) -> None:
    from alembic import command

    from paperwire.models import SearchFilters
    from paperwire.store.migrate import alembic_config

    command.downgrade(alembic_config(database_url), "0007")  # as stored before the key
    names = {"Grace Hopper": "grace hopper", "Ada  Lovelace King": "ada lovelace king", "Hopper": "hopper"}
    store = open_store(database_url)
    try:
        with store._writing() as db:  # type: ignore[attr-defined]
            for n, (name, key) in enumerate(names.items()):
                db.execute(
                    "INSERT INTO papers (id, title, fingerprint, listed_day) VALUES (?, ?, 'x', ?)",
                    (f"2401.0000{n}", name, "2024-01-08"),
                )
                db.execute(
                    "INSERT INTO paper_authors (paper_id, position, name, name_key) VALUES (?, 0, ?, ?)",
                    (f"2401.0000{n}", name, key),
                )
    finally:
        store.close()
    upgrade_database(database_url)
    store = open_store(database_url)
    try:
        with store._reading() as db:  # type: ignore[attr-defined]
            rows = db.fetchall("SELECT name_key, family_key FROM paper_authors ORDER BY name_key")
        assert {r["name_key"]: r["family_key"] for r in rows} == {
            "ada lovelace king": "king",
            "grace hopper": "hopper",
            "hopper": "hopper",
        }
        found = store.list_papers(filters=SearchFilters(author="HOPPER"))
        assert {p.id for p in found} == {"2401.00000", "2401.00002"}
    finally:
        store.close()
