"""PostgreSQL connections (psycopg 3): one autocommit connection per thread, explicit
transactions for writes, the store's deadline as the session's ``statement_timeout``.
Statements are written with ``?`` and sent with ``%s``."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from paperwire.store.sql import QueryTimeout

_QMARK = re.compile(r"\?")


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
        if rows:
            with self.conn.cursor() as cur:
                cur.executemany(to_pyformat(sql), rows)


class PostgresConnections:
    """The ``Connections`` of a PostgreSQL database: one autocommit connection per
    thread."""

    def __init__(self, conninfo: str, *, query_timeout: float = 0) -> None:
        self.conninfo = conninfo
        self.query_timeout = query_timeout
        self._local = threading.local()
        self._conns: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()

    def _conn(self) -> psycopg.Connection[Any]:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.conninfo, autocommit=True)
            if self.query_timeout > 0:
                # The server stops any statement on this connection past the deadline,
                # waiting for a lock included; write transactions lift it (writing).
                conn.execute(
                    "SELECT set_config('statement_timeout', %s, false)",
                    (f"{max(1, round(self.query_timeout * 1000))}ms",),
                )
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    @contextmanager
    def reading(self) -> Iterator[PostgresDb]:
        try:
            yield PostgresDb(self._conn())
        except psycopg.errors.QueryCanceled as exc:
            if self.query_timeout > 0:
                raise QueryTimeout(self.query_timeout) from exc
            raise

    @contextmanager
    def writing(self) -> Iterator[PostgresDb]:
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
