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
