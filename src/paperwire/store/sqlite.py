"""SQLite backend: WAL, foreign keys, one serialized writer, parallel readers."""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from paperwire.store.factory import sqlite_path
from paperwire.store.search_sqlite import (
    SqliteSearch,
    install_vector_functions,
    register_sqlite_vec,
)
from paperwire.store.sql import QueryTimeout
from paperwire.store.sqlstore import SqlStore

# SQLite calls a reader's deadline check every this many virtual-machine instructions:
# often enough to stop within a millisecond, rare enough to cost nothing measurable.
PROGRESS_OPS = 1000


def _adapt_datetime(value: datetime) -> str:
    return value.isoformat()


def _adapt_date(value: date) -> str:
    return value.isoformat()


def connect_sqlite(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    # Explicit ISO-8601 text for dates: sortable, and the same as what we read back.
    sqlite3.register_adapter(datetime, _adapt_datetime)
    sqlite3.register_adapter(date, _adapt_date)
    register_sqlite_vec()  # before connecting: extensions load when a connection opens
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    install_vector_functions(conn)  # vec_distance_cosine for semantic search
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA temp_store=MEMORY")
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    return conn


class Deadline:
    """A reader connection's progress handler: SQLite stops (``interrupted``) the
    statement that is still running ``seconds`` after ``start``. Between statements no
    deadline is set, so nothing else on the connection is ever cut short."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = math.inf

    def start(self) -> None:
        self.at = time.monotonic() + self.seconds

    def stop(self) -> None:
        self.at = math.inf

    def __call__(self) -> bool:
        return time.monotonic() > self.at


class SqliteDb:
    """Adapts a sqlite3 connection to the ``Db`` surface (rows as dicts); each statement
    runs under ``deadline`` when one is given (a reader of the web process)."""

    def __init__(self, conn: sqlite3.Connection, deadline: Deadline | None = None) -> None:
        self.conn = conn
        self.deadline = deadline

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        if self.deadline is not None:
            self.deadline.start()
        try:
            return [dict(r) for r in self.conn.execute(sql, tuple(params)).fetchall()]
        finally:
            if self.deadline is not None:
                self.deadline.stop()

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        if self.deadline is not None:
            self.deadline.start()
        try:
            row = self.conn.execute(sql, tuple(params)).fetchone()
        finally:
            if self.deadline is not None:
                self.deadline.stop()
        return dict(row) if row is not None else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.deadline is not None:
            self.deadline.start()
        try:
            self.conn.execute(sql, tuple(params))
        finally:
            if self.deadline is not None:
                self.deadline.stop()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)


class SqliteStore(SqliteSearch, SqlStore):
    dialect = "sqlite"
    bulk_conflict_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: str, *, query_timeout: float = 0) -> None:
        self.path = path
        self.query_timeout = query_timeout
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.RLock()
        self._writer = connect_sqlite(path)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    @classmethod
    def from_url(cls, database_url: str, *, query_timeout: float = 0) -> SqliteStore:
        return cls(sqlite_path(database_url), query_timeout=query_timeout)

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect_sqlite(self.path, readonly=True)
            self._local.deadline = None
            if self.query_timeout > 0:
                deadline = Deadline(self.query_timeout)
                # Only statements that execute are checked: in WAL mode a reader never
                # waits for a lock held by a writer.
                conn.set_progress_handler(deadline, PROGRESS_OPS)
                self._local.deadline = deadline
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _candidate_index(self) -> sqlite3.Connection:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            # Declared as the live keyword index is (read from the schema, not
            # repeated here), so both tokenize and stem alike.
            row = self._reader().execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'papers_fts'"
            ).fetchone()
            if row is None:
                raise RuntimeError("the keyword index papers_fts is missing: run `paperwire db upgrade`")
            declaration = row[0].split(" USING ", 1)[1]
            scratch = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            scratch.execute(f"CREATE VIRTUAL TABLE candidates USING {declaration}")
            self._local.scratch = scratch
            with self._readers_lock:
                self._readers.append(scratch)
        return scratch  # type: ignore[no-any-return]

    @contextmanager
    def _reading(self) -> Iterator[SqliteDb]:
        conn = self._reader()
        deadline: Deadline | None = self._local.deadline
        try:
            yield SqliteDb(conn, deadline)
        except sqlite3.OperationalError as exc:
            if deadline is not None and exc.sqlite_errorname == "SQLITE_INTERRUPT":
                raise QueryTimeout(self.query_timeout) from exc
            raise

    @contextmanager
    def _writing(self) -> Iterator[SqliteDb]:
        with self._write_lock:
            conn = self._writer
            if conn.in_transaction:  # nested: join the outer transaction
                yield SqliteDb(conn)
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteDb(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _bulk_writing(self) -> Iterator[SqliteDb]:
        # Each child row's parent lookup cost ~2.5 µs a paper in a bulk load, and cannot
        # fail there: the children come from the same papers, inserted first. The
        # pragma is ignored inside a transaction, hence set around it, under the lock.
        with self._write_lock:
            conn = self._writer
            nested = conn.in_transaction
            if not nested:
                conn.execute("PRAGMA foreign_keys=OFF")
            try:
                with self._writing() as db:
                    yield db
            finally:
                if not nested:
                    conn.execute("PRAGMA foreign_keys=ON")

    def _bulk_journal(self, *, bulk: bool) -> None:
        # A bulk load fills new pages at the end of the file. A rollback journal writes
        # each of them once (pages the file did not have need no undo copy), where WAL
        # writes every page twice, to the log and again at the checkpoint: ~6 µs a
        # paper (docs/benchmarks.md). The switch needs the file to itself: while another
        # connection has it open SQLite refuses ("database is locked") and the load
        # runs in WAL as before; the next connection opened puts WAL back in any case.
        with self._write_lock:
            try:
                self._writer.execute(f"PRAGMA journal_mode={'DELETE' if bulk else 'WAL'}")
            except sqlite3.OperationalError:
                pass

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()
