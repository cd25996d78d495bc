"""PostgreSQL backend (psycopg 3). Same SQL as SQLite through ``SqlStore``."""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from paperwire.store.factory import postgres_conninfo
from paperwire.store.search_postgres import PostgresSearch
from paperwire.store.sql import QueryTimeout
from paperwire.store.sqlstore import SqlStore

_QMARK = re.compile(r"\?")
# ``INSERT INTO t (a, b) VALUES (?, ?) [ON CONFLICT …]``: rows can share one statement.
_SINGLE_ROW_INSERT = re.compile(
    r"^INSERT INTO (?P<table>\w+) \((?P<columns>[\w, ]+)\)\s+VALUES\s+\((?:\?,\s*)*\?\)"
    r"(?P<tail>(?:\s+ON CONFLICT[^?]*)?)$",
    re.DOTALL,
)


def to_pyformat(sql: str) -> str:
    """``?`` → ``%s``; literal ``%`` is doubled first. Our SQL never holds a literal ``?``."""
    return _QMARK.sub("%s", sql.replace("%", "%%"))


class PostgresDb:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(to_pyformat(sql), tuple(params))
            return list(cur.fetchall())

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(to_pyformat(sql), tuple(params))
            return cur.fetchone()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(to_pyformat(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        insert = _SINGLE_ROW_INSERT.match(sql)
        if insert is None:
            with self.conn.cursor() as cur:
                cur.executemany(to_pyformat(sql), rows)
            return
        # Rows go in by COPY, not a statement per row: per-row statements each fire the
        # statement-level data-version trigger (an UPDATE of one row, thousands of times
        # per transaction) and cost a server parse/plan/execute each (docs/benchmarks.md).
        table, columns, tail = insert.group("table"), insert.group("columns"), insert.group("tail")
        if not tail:
            # A plain INSERT of many rows and a COPY of them do the same (all rows or
            # none, statement triggers once): straight into the table.
            with self.conn.transaction(), self.conn.cursor() as cur:
                _copy_in(cur, table, columns, rows)
            return
        # With ON CONFLICT: COPY into a temporary staging table, then one INSERT … SELECT;
        # one staging table per (table, column list) and session; it empties on commit
        stage = f"_stage_{table}_{zlib.crc32(columns.encode()):08x}"
        with self.conn.transaction(), self.conn.cursor() as cur:  # COPY and INSERT together
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            cur.execute(f"TRUNCATE {stage}")  # an earlier statement of this transaction
            _copy_in(cur, stage, columns, rows)
            cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage}{tail}")


def _copy_in(cur: psycopg.Cursor[Any], table: str, columns: str, rows: list[Sequence[Any]]) -> None:
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


class PostgresStore(PostgresSearch, SqlStore):
    dialect = "postgresql"
    # Two batches holding two shared ids in crossed order deadlock: one is aborted,
    # and is then written by upserts like any batch that met a stored id.
    bulk_conflict_errors = (psycopg.IntegrityError, psycopg.errors.DeadlockDetected)
    bulk_load_writers = 2  # see BulkLoadStore: the server's share of a row is the larger

    def __init__(self, conninfo: str, *, query_timeout: float = 0) -> None:
        self.conninfo = conninfo
        self.query_timeout = query_timeout
        self._local = threading.local()
        self._conns: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, database_url: str, *, query_timeout: float = 0) -> PostgresStore:
        return cls(postgres_conninfo(database_url), query_timeout=query_timeout)

    def _conn(self) -> psycopg.Connection[Any]:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.conninfo, autocommit=True)
            if self.query_timeout > 0:
                # The server stops any statement of this session past the deadline,
                # waiting for a lock included; write transactions lift it (_writing).
                conn.execute(
                    "SELECT set_config('statement_timeout', %s, false)",
                    (f"{max(1, round(self.query_timeout * 1000))}ms",),
                )
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    @contextmanager
    def _reading(self) -> Iterator[PostgresDb]:
        try:
            yield PostgresDb(self._conn())
        except psycopg.errors.QueryCanceled as exc:
            if self.query_timeout > 0:
                raise QueryTimeout(self.query_timeout) from exc
            raise

    @contextmanager
    def _writing(self) -> Iterator[PostgresDb]:
        conn = self._conn()
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            yield PostgresDb(conn)  # nested: join the outer transaction
            return
        with conn.transaction():
            if self.query_timeout > 0:  # writes run to the end: for this transaction only
                conn.execute("SELECT set_config('statement_timeout', '0', true)")
            yield PostgresDb(conn)

    def close(self) -> None:
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
