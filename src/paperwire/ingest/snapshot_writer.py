"""Writing a snapshot import's batches: gathered from converted chunks (``Batcher``)
and written on background threads while the next chunks are converted
(``BatchWriter``), each batch one transaction, as upserts or, into an empty
database, as a bulk load (``store.bulk_sql``).
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import cast

from paperwire.models import Paper, UpsertCounts
from paperwire.store import BulkRows, Store


class BatchWriter:
    """Writes batches on background threads while the caller converts the next.

    The database does much of its work without holding the GIL, so parsing and writing
    overlap. At most ``store.bulk_load_writers`` batches are in flight (one, except in
    a PostgreSQL bulk load: see ``BulkLoadStore``), so memory stays bounded; each batch
    is its own transaction, and results are collected in file order. A write error
    surfaces on the next call and nothing is submitted after it (a batch already in
    flight beside it may land; a rerun finishes the job, as after any interruption).

    In a bulk load (``bulk``: the papers table was empty, see ``store.bulk_sql``)
    batches arrive as encoded rows and are inserted as they are; a batch that meets an
    id already stored (a record repeated in the file) is written by upserts once the
    batch beside it is done (``_upsert_in_file_order``).
    """

    def __init__(self, store: Store, *, bulk: bool) -> None:
        self.store = store
        self.bulk = bulk
        self.counts = UpsertCounts()
        self.in_flight = max(1, store.bulk_load_writers) if bulk else 1
        self._pool = ThreadPoolExecutor(max_workers=self.in_flight, thread_name_prefix="snapshot-writer")
        self._pending: deque[tuple[list[Paper] | BulkRows, Future[UpsertCounts | None]]] = deque()

    def _collect_one(self) -> None:
        batch, future = self._pending.popleft()
        counts = future.result()
        if counts is None:  # bulk rows that met a stored id: nothing was written
            counts = self._upsert_in_file_order(cast(BulkRows, batch))
        self.counts += counts

    def submit(self, batch: list[Paper] | BulkRows) -> None:
        while len(self._pending) >= self.in_flight:
            self._collect_one()
        self._pending.append((batch, self._pool.submit(self._write, batch)))

    def _write(self, batch: list[Paper] | BulkRows) -> UpsertCounts | None:
        if isinstance(batch, tuple):
            return self.store.insert_bulk_rows(batch)
        # FTS5 tokenising costs more than the rest of a write (docs/benchmarks.md), so
        # batches skip the keyword index and ``finish`` indexes them all at once.
        return self.store.upsert_papers(batch, defer_index=True)

    def _upsert_in_file_order(self, rows: BulkRows) -> UpsertCounts:
        """Write bulk rows that met a stored id by upserts (``upsert_bulk_rows``), once
        the later batches written beside them are done: one of those may have stored
        such an id first, and the last record of an id in the file must win, counted as
        a sequential load counts it. A later batch's error surfaces in its own turn,
        after this batch is written."""
        wait([future for _, future in self._pending])
        stored_later = [
            cast(BulkRows, later)[0]
            for later, future in self._pending
            if future.exception() is None and future.result() is not None
        ]
        return self.store.upsert_bulk_rows(rows, stored_later=stored_later)

    def finish(self) -> UpsertCounts:
        try:
            while self._pending:
                self._collect_one()
        finally:
            self._pool.shutdown(wait=True)
            try:
                if self.bulk:  # the indexes dropped for the load, built once, sorted
                    self.store.end_bulk_load()
            finally:
                # Whatever was written (also before a truncation or write error) becomes
                # searchable; an interrupted import leaves a backlog `paperwire index` clears.
                self.store.refresh_keyword_index()
        return self.counts



class Batcher:
    """Gathers converted chunks into write batches of about ``size`` papers."""

    def __init__(self, size: int, *, bulk: bool) -> None:
        self.size = size
        self.bulk = bulk
        self.papers: list[Paper] = []
        self.rows: BulkRows = ([], [], [])

    @property
    def count(self) -> int:
        return len(self.rows[0]) if self.bulk else len(self.papers)

    def add(self, converted: list[Paper] | BulkRows) -> None:
        if isinstance(converted, tuple):
            for mine, theirs in zip(self.rows, converted, strict=True):
                mine.extend(theirs)  # type: ignore[attr-defined]
        else:
            self.papers.extend(converted)

    def full(self) -> bool:
        return self.count >= self.size

    def take(self) -> list[Paper] | BulkRows | None:
        """The next batch: ``size`` papers (a repeated id counts per batch, as in
        ``upsert_papers``), or all rows gathered in a bulk load."""
        if not self.count:
            return None
        if self.bulk:
            rows, self.rows = self.rows, ([], [], [])
            return rows
        papers, self.papers = self.papers[: self.size], self.papers[self.size :]
        return papers

