"""Bulk loading into an empty papers table: the first import of an arXiv snapshot.

Why: a paper costs SQLite about four times more to insert while the secondary indexes
(listing day, dates, source, category and author lookups) and the per-row data-version
trigger exist than without them, and building those indexes once, sorted, at the end is
cheaper than maintaining them row by row (docs/benchmarks.md). So a bulk load into an
*empty* papers table drops them, inserts plain rows, and recreates them at the end.

Crash safety: the statements that made the dropped indexes and triggers are saved in
``bulk_load_saved`` in the same transaction that drops them, so a load killed midway
leaves a record of what to restore; ``begin_bulk_load`` and ``end_bulk_load`` both
restore whatever is recorded, and ``restore_bulk_load`` can be called on its own. A
non-empty table is never touched: the caller gets ``False`` and uses ``upsert_papers``.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Protocol

from paperwire.models import UpsertCounts
from paperwire.store.codec import PAPER_COLUMNS, BulkRows
from paperwire.store.sql import Db, SqlBase

# Rowids are given, so the keyword index can be filled in the same transaction.
_INSERT_PAPER = (  # noqa: S608 - column names are constants
    f"INSERT INTO papers (rowid, {', '.join(PAPER_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(PAPER_COLUMNS) + 1))})"
)
_INSERT_CATEGORY = "INSERT INTO paper_categories (paper_id, position, category) VALUES (?, ?, ?)"
_INSERT_AUTHOR = "INSERT INTO paper_authors (paper_id, position, name, name_key) VALUES (?, ?, ?, ?)"
_TABLES = ("papers", "paper_categories", "paper_authors")
# Insert-time triggers that only bump the data version: one bump at the end replaces them.
_DROPPED_TRIGGERS = ("papers_data_version_insert",)


class BulkLoadStore(Protocol):
    """Fast first load of papers into an empty database (SQLite; others say no)."""

    def begin_bulk_load(self) -> bool:
        """Prepare a bulk load; ``False`` if the papers table is not empty (or the
        backend has no bulk path): then write with ``upsert_papers`` as usual."""
        ...

    def insert_bulk_rows(self, rows: BulkRows) -> UpsertCounts | None:
        """Insert encoded rows (``codec.bulk_rows``) in one transaction, all added;
        ``None`` (nothing written) if an id already exists: write that batch with
        ``upsert_papers`` instead, which knows how to replace."""
        ...

    def end_bulk_load(self) -> None:
        """Recreate what ``begin_bulk_load`` dropped; safe to call more than once."""
        ...

    def restore_bulk_load(self) -> int:
        """Recreate indexes and triggers a crashed bulk load left dropped; how many."""
        ...


class BulkLoadQueries(SqlBase):
    def begin_bulk_load(self) -> bool:
        if self.dialect != "sqlite":
            return False  # PostgreSQL: the regular upsert path (see docs/benchmarks.md)
        self.restore_bulk_load()
        with self._writing() as db:
            if db.fetchone("SELECT 1 AS one FROM papers LIMIT 1"):
                return False
            marks = ", ".join("?" * len(_TABLES))
            saved = db.fetchall(
                f"SELECT name, type AS kind, sql AS ddl FROM sqlite_master "  # noqa: S608
                f"WHERE tbl_name IN ({marks}) AND sql IS NOT NULL "
                "AND (type = 'index' OR (type = 'trigger' AND name IN "
                f"({', '.join('?' * len(_DROPPED_TRIGGERS))})))",
                (*_TABLES, *_DROPPED_TRIGGERS),
            )
            for row in saved:
                db.execute(
                    "INSERT INTO bulk_load_saved (name, kind, ddl) VALUES (?, ?, ?)",
                    (row["name"], row["kind"], row["ddl"]),
                )
                db.execute(f'DROP {row["kind"].upper()} "{row["name"]}"')
        self._bulk_journal(bulk=True)
        return True

    def insert_bulk_rows(self, rows: BulkRows) -> UpsertCounts | None:
        papers, categories, authors = rows
        if not papers:
            return UpsertCounts()
        try:
            with self._bulk_writing() as db:
                top = db.fetchone("SELECT coalesce(max(rowid), 0) AS top FROM papers")
                first = int(top["top"] if top else 0) + 1
                db.executemany(_INSERT_PAPER, [(first + i, *row) for i, row in enumerate(papers)])
                db.executemany(_INSERT_CATEGORY, categories)
                db.executemany(_INSERT_AUTHOR, authors)
                self._index_bulk_rows(db, first, papers)
        except sqlite3.IntegrityError:
            return None  # an id already stored (a repeated record): rolled back
        return UpsertCounts(added=len(papers))

    def end_bulk_load(self) -> None:
        try:
            self.restore_bulk_load()  # the index builds also write their pages once
        finally:
            self._bulk_journal(bulk=False)

    def restore_bulk_load(self) -> int:
        with self._writing() as db:
            saved = db.fetchall("SELECT name, kind, ddl FROM bulk_load_saved ORDER BY kind, name")
            if not saved:
                return 0
            for row in saved:
                _restore(db, row)
            db.execute("DELETE FROM bulk_load_saved")
            # the one bump that replaces the dropped insert trigger's per-row bumps
            db.execute(
                "UPDATE data_versions SET version = version + 1, "
                "changed_at = CURRENT_TIMESTAMP WHERE name = 'papers'"
            )
        return len(saved)


def _restore(db: Db, row: dict[str, Any]) -> None:
    exists = db.fetchone(
        "SELECT 1 AS one FROM sqlite_master WHERE type = ? AND name = ?", (row["kind"], row["name"])
    )
    if not exists:
        db.execute(row["ddl"])
