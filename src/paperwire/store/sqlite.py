"""SQLite connections: WAL, foreign keys, one serialized writer, a read-only reader per
thread (with the store's deadline), and what every connection gets (date adapters,
sqlite-vec's functions)."""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.store.sql import QueryTimeout

# SQLite calls a reader's deadline check every this many virtual-machine instructions:
# often enough to stop within a millisecond, rare enough to cost nothing measurable.
PROGRESS_OPS = 1000


_VEC_LOCK = threading.Lock()
_VEC_STATE: dict[str, bool] = {}


def register_sqlite_vec() -> bool:
    """Make sqlite-vec's functions available to every SQLite connection opened after this.

    Python's ``sqlite3`` is often built without ``enable_load_extension``; registering
    the extension's entry point with ``sqlite3_auto_extension`` in the same libsqlite3
    works either way. Returns False when that is impossible (then
    ``install_vector_functions`` provides a slower pure-Python ``vec_distance_cosine``).
    """
    with _VEC_LOCK:
        if "ok" in _VEC_STATE:
            return _VEC_STATE["ok"]
        ok = False
        try:
            import ctypes
            import ctypes.util

            import sqlite_vec

            path = sqlite_vec.loadable_path()
            if not path.endswith(".so") and not path.endswith(".dylib") and not path.endswith(".dll"):
                path += ".so"
            vec = ctypes.CDLL(path)
            libname = ctypes.util.find_library("sqlite3") or "libsqlite3.so.0"
            lib = ctypes.CDLL(libname)
            lib.sqlite3_auto_extension.argtypes = [ctypes.c_void_p]
            lib.sqlite3_auto_extension.restype = ctypes.c_int
            rc = lib.sqlite3_auto_extension(ctypes.cast(vec.sqlite3_vec_init, ctypes.c_void_p))
            ok = rc == 0
            if ok:  # the libsqlite3 we found must be the one the sqlite3 module uses
                probe = sqlite3.connect(":memory:")
                try:
                    probe.execute("SELECT vec_version()")
                except sqlite3.OperationalError:
                    ok = False
                finally:
                    probe.close()
        except (OSError, AttributeError):
            ok = False
        _VEC_STATE["ok"] = ok
        return ok


def _cosine_distance(a: bytes | None, b: bytes | None) -> float | None:
    if a is None or b is None:
        return None
    x = np.frombuffer(a, dtype=np.float32)
    y = np.frombuffer(b, dtype=np.float32)
    denom = float(np.linalg.norm(x) * np.linalg.norm(y))
    return 1.0 - float(x @ y) / denom if denom else 1.0


def install_vector_functions(conn: sqlite3.Connection) -> None:
    """Called for each new connection: sqlite-vec when it registered, else a fallback."""
    if not register_sqlite_vec():
        conn.create_function("vec_distance_cosine", 2, _cosine_distance, deterministic=True)



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


class SqliteConnections:
    """The ``Connections`` of a SQLite file: one writer connection behind a lock, a
    read-only connection per thread."""

    def __init__(self, path: str, *, query_timeout: float = 0) -> None:
        self.path = path
        self.query_timeout = query_timeout
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.write_lock = threading.RLock()
        self.writer = connect_sqlite(path)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()

    def _keep(self, conn: sqlite3.Connection) -> None:
        with self._opened_lock:
            self._opened.append(conn)

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
            self._keep(conn)
        return conn

    def scratch(self, prepare: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
        """This thread's private in-memory database, set up by ``prepare`` when it is
        first opened; closed with the store."""
        scratch: sqlite3.Connection | None = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            try:
                prepare(scratch)
            except BaseException:
                scratch.close()
                raise
            self._local.scratch = scratch
            self._keep(scratch)
        return scratch

    @contextmanager
    def reading(self) -> Iterator[SqliteDb]:
        conn = self._reader()
        deadline: Deadline | None = self._local.deadline
        try:
            yield SqliteDb(conn, deadline)
        except sqlite3.OperationalError as exc:
            if deadline is not None and exc.sqlite_errorname == "SQLITE_INTERRUPT":
                raise QueryTimeout(self.query_timeout) from exc
            raise

    @contextmanager
    def writing(self) -> Iterator[SqliteDb]:
        with self.write_lock:
            conn = self.writer
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

    def close(self) -> None:
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
        with self.write_lock:
            self.writer.close()
