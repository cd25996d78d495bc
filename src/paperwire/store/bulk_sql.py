"""Bulk loading into an empty papers table: the first import of an arXiv snapshot.

Why: a paper costs SQLite about four times more to insert while the secondary indexes
(listing day, dates, source, category and author lookups) and the per-row data-version
trigger exist than without them, and building those indexes once, sorted, at the end is
cheaper than maintaining them row by row (docs/benchmarks.md). So a bulk load into an
*empty* papers table drops them, inserts plain rows, and recreates them at the end.
PostgreSQL does the same with its secondary indexes (the keyword GIN index among them),
and its rows go in by ``COPY`` (``PostgresDb.executemany``) without a staging table.

Crash safety: the statements that made the dropped indexes and triggers are saved in
``bulk_load_saved`` in the same transaction that drops them, so a load killed midway
leaves a record of what to restore; ``begin_bulk_load`` and ``end_bulk_load`` both
restore whatever is recorded, and ``restore_bulk_load`` can be called on its own. A
non-empty table is never touched: the caller gets ``False`` and uses ``upsert_papers``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from paperwire.models import UpsertCounts
from paperwire.store.codec import PAPER_COLUMNS, BulkRows, papers_from_bulk_rows
from paperwire.store.leases_sql import LeaseQueries, holder_is_dead, live_holder, new_owner
from paperwire.store.papers_sql import PaperQueries
from paperwire.store.sql import Db

_INSERT_PAPER = (  # column names are constants
    f"INSERT INTO papers ({', '.join(PAPER_COLUMNS)}) VALUES ({', '.join('?' * len(PAPER_COLUMNS))})"
)
_INSERT_CATEGORY = "INSERT INTO paper_categories (paper_id, position, category) VALUES (?, ?, ?)"
_INSERT_AUTHOR = "INSERT INTO paper_authors (paper_id, position, name, name_key) VALUES (?, ?, ?, ?)"
_TABLES = ("papers", "paper_categories", "paper_authors")
# Insert-time triggers that only bump the data version, per row on SQLite: one bump at
# the end replaces them. PostgreSQL's fire once per statement (three a batch): kept.
_DROPPED_TRIGGERS = ("papers_data_version_insert",)
_TABLE_MARKS = ", ".join("?" * len(_TABLES))

# (name, kind, ddl) of what a bulk load sets aside, per dialect: the secondary indexes
# of the paper tables (never one that backs a primary key or unique constraint: those
# decide whether a batch holds a stored id), and SQLite's per-row insert trigger.
_SET_ASIDE: dict[str, tuple[str, tuple[str, ...]]] = {
    "sqlite": (
        f"SELECT name, type AS kind, sql AS ddl FROM sqlite_master "
        f"WHERE tbl_name IN ({_TABLE_MARKS}) AND sql IS NOT NULL "
        "AND (type = 'index' OR (type = 'trigger' AND name IN "
        f"({', '.join('?' * len(_DROPPED_TRIGGERS))})))",
        (*_TABLES, *_DROPPED_TRIGGERS),
    ),
    "postgresql": (
        "SELECT i.relname AS name, 'index' AS kind, pg_get_indexdef(i.oid) AS ddl "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_class t ON t.oid = x.indrelid "
        f"WHERE t.relname IN ({_TABLE_MARKS}) AND pg_table_is_visible(t.oid) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        _TABLES,
    ),
}
# Held by a running bulk load, so that another store neither starts a second one nor
# restores the first's indexes as a killed load's leftovers. A killed holder on this
# machine is taken over at once (``acquire_lease``); one elsewhere lapses after this
# long without a batch.
_BULK_LEASE = "bulk-load"
_BULK_LEASE_SECONDS = 1800.0  # renewed by every batch; the rebuild at the end fits

# Whether a saved object exists again (restoring twice, or after a crash mid-restore).
_EXISTS = {
    "sqlite": "SELECT 1 AS one FROM sqlite_master WHERE type = ? AND name = ?",
    "postgresql": "SELECT 1 AS one FROM pg_class WHERE 'index' = ? AND relname = ? "
    "AND pg_table_is_visible(oid)",
}
# Around the rebuild, PostgreSQL: at least 256 MB of sort memory for the index builds
# (the GIN keyword index above all), in this transaction only, and fresh planner statistics for
# tables that went from empty to full (autovacuum would get there, later).
_BEFORE_REBUILD = {
    "postgresql": (
        "SELECT set_config('maintenance_work_mem', '256MB', true) "  # true: this transaction
        "WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes('256MB')",
    )
}
_AFTER_REBUILD = {"postgresql": (f"ANALYZE {', '.join(_TABLES)}",)}


class BulkLoadStore(Protocol):
    """Fast first load of papers into an empty database (SQLite, PostgreSQL)."""

    # How many ``insert_bulk_rows`` transactions a load may run at once: SQLite has one
    # writer; PostgreSQL runs each on its own connection, and its server work per row
    # (the generated keyword ``tsvector`` above all) then uses a second core.
    bulk_load_writers: int

    def begin_bulk_load(self) -> bool:
        """Prepare a bulk load; ``False`` if the papers table is not empty (or the
        backend has no bulk path): then write with ``upsert_papers`` as usual."""
        ...

    def insert_bulk_rows(self, rows: BulkRows) -> UpsertCounts | None:
        """Insert encoded rows (``codec.bulk_rows``) in one transaction, all added;
        ``None`` (nothing written) if an id already exists: write that batch with
        ``upsert_bulk_rows`` instead, which knows how to replace."""
        ...

    def upsert_bulk_rows(
        self, rows: BulkRows, *, stored_later: Sequence[Sequence[tuple[Any, ...]]] = ()
    ) -> UpsertCounts:
        """Write bulk rows that met a stored id by ``upsert_papers``, in one transaction,
        with the outcome a sequential load would have had. ``stored_later``: the papers
        rows of later batches that were inserted beside this one (``bulk_load_writers``)
        and so may hold its ids first; those are deleted, this batch is upserted, then
        they are upserted again after it, counted by that write instead of as added."""
        ...

    def end_bulk_load(self) -> None:
        """Recreate what ``begin_bulk_load`` dropped; safe to call more than once."""
        ...

    def restore_bulk_load(self) -> int:
        """Recreate indexes and triggers a crashed bulk load left dropped; how many."""
        ...


class BulkLoadQueries(PaperQueries, LeaseQueries):
    bulk_load_writers = 1
    _bulk_owner: str | None = None  # this store's lease on a running bulk load

    def begin_bulk_load(self) -> bool:
        if self.dialect not in _SET_ASIDE:
            return False
        # One bulk load at a time: a second import while one runs (into a still empty
        # table) would otherwise take the first's indexes for a killed load's leftovers
        # and restore them mid-load. It gets False and upserts instead.
        owner = new_owner()
        if not self.acquire_lease(_BULK_LEASE, owner, seconds=_BULK_LEASE_SECONDS):
            return False
        self._bulk_owner = owner
        self.restore_bulk_load()
        with self._writing() as db:
            empty = db.fetchone("SELECT 1 AS one FROM papers LIMIT 1") is None
            saved = db.fetchall(*_SET_ASIDE[self.dialect]) if empty else []
            for row in saved:
                db.execute(
                    "INSERT INTO bulk_load_saved (name, kind, ddl) VALUES (?, ?, ?)",
                    (row["name"], row["kind"], row["ddl"]),
                )
                db.execute(f'DROP {row["kind"].upper()} "{row["name"]}"')
        if not empty:
            self._end_bulk_lease()
            return False
        self._bulk_journal(bulk=True)
        return True

    def _end_bulk_lease(self) -> None:
        if self._bulk_owner is not None:
            self.release_lease(_BULK_LEASE, self._bulk_owner)
            self._bulk_owner = None

    def insert_bulk_rows(self, rows: BulkRows) -> UpsertCounts | None:
        papers, categories, authors = rows
        if not papers:
            return UpsertCounts()
        try:
            with self._bulk_writing() as db:
                self._insert_bulk_papers(db, papers)
                db.executemany(_INSERT_CATEGORY, categories)
                db.executemany(_INSERT_AUTHOR, authors)
                if self._bulk_owner is not None:
                    # Renewed by each batch, in its transaction, last: the lease row stays
                    # locked until commit, and two PostgreSQL writers must not wait on it
                    # before their papers are in (the data-version trigger's row is
                    # held from there on anyway).
                    self.acquire_lease(_BULK_LEASE, self._bulk_owner, seconds=_BULK_LEASE_SECONDS)
        except self.bulk_conflict_errors:
            return None  # an id already stored (a repeated record): rolled back
        return UpsertCounts(added=len(papers))

    def _insert_bulk_papers(self, db: Db, rows: Sequence[Sequence[Any]]) -> None:
        """Insert a bulk load's papers rows (``codec.PAPER_COLUMNS`` order) in its
        transaction. SQLite numbers them and fills its FTS5 keyword index from them
        (``search_sqlite``); PostgreSQL's keyword index is a generated column."""
        db.executemany(_INSERT_PAPER, rows)

    def upsert_bulk_rows(
        self, rows: BulkRows, *, stored_later: Sequence[Sequence[tuple[Any, ...]]] = ()
    ) -> UpsertCounts:
        ids = {row[0] for row in rows[0]}
        again = [[row for row in later if row[0] in ids] for later in stored_later]
        with self._writing():  # the upserts below join this one transaction
            # Not stored before that later batch (its insert would have failed), so
            # deleting puts these ids back as a sequential load would have found them.
            self.delete_papers(row[0] for part in again for row in part)
            counts = self.upsert_papers(papers_from_bulk_rows(rows[0]), defer_index=True)
            for part in filter(None, again):
                counts += self.upsert_papers(papers_from_bulk_rows(part), defer_index=True)
                counts += UpsertCounts(added=-len(part))  # their own insert counted them
        return counts

    def end_bulk_load(self) -> None:
        try:
            self.restore_bulk_load()  # the index builds also write their pages once
        finally:
            try:
                self._bulk_journal(bulk=False)
            finally:
                self._end_bulk_lease()

    def restore_bulk_load(self) -> int:
        # Read in the writer's transaction, not through a reader: on SQLite an open
        # reader connection would keep the load from switching its journal.
        with self._writing() as db:
            saved = db.fetchall("SELECT name, kind, ddl FROM bulk_load_saved ORDER BY kind, name")
            if not saved:
                return 0
            holder = live_holder(db, _BULK_LEASE)
            if holder and holder[0] != self._bulk_owner and not holder_is_dead(holder[0]):
                return 0  # a load running elsewhere: what it set aside is not leftovers
            for statement in _BEFORE_REBUILD.get(self.dialect, ()):
                db.execute(statement)
            for row in saved:
                if not db.fetchone(_EXISTS[self.dialect], (row["kind"], row["name"])):
                    db.execute(row["ddl"])
            db.execute("DELETE FROM bulk_load_saved")
            for statement in _AFTER_REBUILD.get(self.dialect, ()):
                db.execute(statement)
            # the one bump that replaces the dropped insert trigger's per-row bumps
            db.execute(
                "UPDATE data_versions SET version = version + 1, "
                "changed_at = CURRENT_TIMESTAMP WHERE name = 'papers'"
            )
        return len(saved)

