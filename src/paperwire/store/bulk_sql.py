"""Bulk loading into an empty papers table: the first import of an arXiv snapshot.

Why: a paper costs SQLite about four times more to insert while the secondary indexes
(listing day, dates, source, category and author lookups) and the per-row data-version
trigger exist than without them, and building those indexes once, sorted, at the end is
cheaper than maintaining them row by row (docs/benchmarks.md). So a bulk load into an
*empty* papers table drops them, inserts plain rows, and recreates them at the end.
PostgreSQL does the same with its secondary indexes (the keyword GIN index among them),
and its rows go in by ``COPY`` (``Dialect.insert_rows``) without a staging table.

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
from paperwire.store.codec import (
    AUTHOR_COLUMNS,
    CATEGORY_COLUMNS,
    BulkRows,
    papers_from_bulk_rows,
)
from paperwire.store.dialect import Dialect
from paperwire.store.leases_sql import Leases, holder_is_dead, live_holder, new_owner
from paperwire.store.papers_sql import Papers
from paperwire.store.sql import Connections, Part, bump_data_version

# Held by a running bulk load, so that another store neither starts a second one nor
# restores the first's indexes as a killed load's leftovers. A killed holder on this
# machine is taken over at once (``acquire_lease``); one elsewhere lapses after this
# long without a batch.
_BULK_LEASE = "bulk-load"
_BULK_LEASE_SECONDS = 1800.0  # renewed by every batch; the rebuild at the end fits


class BulkLoadStore(Protocol):
    """Fast first load of papers into an empty database (SQLite, PostgreSQL)."""

    # How many ``insert_bulk_rows`` transactions a load may run at once: SQLite has one
    # writer; PostgreSQL runs each on its own connection, and its server work per row
    # (the generated keyword ``tsvector`` above all) then uses a second core.
    bulk_load_writers: int

    def begin_bulk_load(self) -> bool:
        """Prepare a bulk load; ``False`` if the papers table is not empty (or another
        load is running): then write with ``upsert_papers`` as usual."""
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


class BulkLoad(Part):
    """The bulk load, written once for both backends; a batch that meets a stored id
    is written by the papers part, and one load at a time holds a lease."""

    def __init__(self, connections: Connections, dialect: Dialect, *, papers: Papers, leases: Leases) -> None:
        super().__init__(connections, dialect)
        self.papers = papers
        self.leases = leases
        self.bulk_load_writers = dialect.bulk_load_writers
        self._bulk_owner: str | None = None  # this store's lease on a running bulk load

    def begin_bulk_load(self) -> bool:
        # One bulk load at a time: a second import while one runs (into a still empty
        # table) would otherwise take the first's indexes for a killed load's leftovers
        # and restore them mid-load. It gets False and upserts instead.
        owner = new_owner()
        if not self.leases.acquire_lease(_BULK_LEASE, owner, seconds=_BULK_LEASE_SECONDS):
            return False
        self._bulk_owner = owner
        self.restore_bulk_load()
        with self.connections.writing() as db:
            empty = db.fetchone("SELECT 1 AS one FROM papers LIMIT 1") is None
            saved = db.fetchall(*self.dialect.set_aside_sql()) if empty else []
            for row in saved:
                db.execute(
                    "INSERT INTO bulk_load_saved (name, kind, ddl) VALUES (?, ?, ?)",
                    (row["name"], row["kind"], row["ddl"]),
                )
                db.execute(f'DROP {row["kind"].upper()} "{row["name"]}"')
        if not empty:
            self._end_bulk_lease()
            return False
        self.dialect.bulk_journal(bulk=True)
        return True

    def _end_bulk_lease(self) -> None:
        if self._bulk_owner is not None:
            self.leases.release_lease(_BULK_LEASE, self._bulk_owner)
            self._bulk_owner = None

    def insert_bulk_rows(self, rows: BulkRows) -> UpsertCounts | None:
        papers, categories, authors = rows
        if not papers:
            return UpsertCounts()
        try:
            with self.dialect.bulk_writing() as db:
                self.dialect.insert_bulk_papers(db, papers)
                self.dialect.insert_rows(db, "paper_categories", CATEGORY_COLUMNS, categories)
                self.dialect.insert_rows(db, "paper_authors", AUTHOR_COLUMNS, authors)
                if self._bulk_owner is not None:
                    # Renewed by each batch, in its transaction, last: the lease row stays
                    # locked until commit, and two PostgreSQL writers must not wait on it
                    # before their papers are in (the data-version trigger's row is
                    # held from there on anyway).
                    self.leases.acquire_lease(_BULK_LEASE, self._bulk_owner, seconds=_BULK_LEASE_SECONDS)
        except self.dialect.bulk_conflict_errors:
            return None  # an id already stored (a repeated record): rolled back
        return UpsertCounts(added=len(papers))

    def upsert_bulk_rows(
        self, rows: BulkRows, *, stored_later: Sequence[Sequence[tuple[Any, ...]]] = ()
    ) -> UpsertCounts:
        ids = {row[0] for row in rows[0]}
        again = [[row for row in later if row[0] in ids] for later in stored_later]
        with self.connections.writing():  # the upserts below join this one transaction
            # Not stored before that later batch (its insert would have failed), so
            # deleting puts these ids back as a sequential load would have found them.
            self.papers.delete_papers(row[0] for part in again for row in part)
            counts = self.papers.upsert_papers(papers_from_bulk_rows(rows[0]), defer_index=True)
            for part in filter(None, again):
                counts += self.papers.upsert_papers(papers_from_bulk_rows(part), defer_index=True)
                counts += UpsertCounts(added=-len(part))  # their own insert counted them
        return counts

    def end_bulk_load(self) -> None:
        try:
            self.restore_bulk_load()  # the index builds also write their pages once
        finally:
            try:
                self.dialect.bulk_journal(bulk=False)
            finally:
                self._end_bulk_lease()

    def restore_bulk_load(self) -> int:
        # Read in the writer's transaction, not through a reader: on SQLite an open
        # reader connection would keep the load from switching its journal.
        with self.connections.writing() as db:
            saved = db.fetchall("SELECT name, kind, ddl FROM bulk_load_saved ORDER BY kind, name")
            if not saved:
                return 0
            holder = live_holder(db, _BULK_LEASE)
            if holder and holder[0] != self._bulk_owner and not holder_is_dead(holder[0]):
                return 0  # a load running elsewhere: what it set aside is not leftovers
            for statement in self.dialect.before_rebuild():
                db.execute(statement)
            for row in saved:
                if not db.fetchone(self.dialect.exists_sql(), (row["kind"], row["name"])):
                    db.execute(row["ddl"])
            db.execute("DELETE FROM bulk_load_saved")
            for statement in self.dialect.after_rebuild():
                db.execute(statement)
            # the one bump that replaces the dropped insert trigger's per-row bumps
            bump_data_version(db, "papers")
        return len(saved)

