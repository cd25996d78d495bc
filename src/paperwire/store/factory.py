"""Choose a backend from the database URL and build the store on it."""

from __future__ import annotations

from paperwire.store.base import Store
from paperwire.store.sqlstore import SqlStore


def open_store(database_url: str, *, query_timeout: float = 0) -> Store:
    """``query_timeout``: seconds one read statement may run before it is stopped with
    ``QueryTimeout`` (0: no limit). The web process sets it so a slow query cannot hold
    a worker; writes are never cut off halfway (they are short, and an ingest or a CLI
    command opens its store without a deadline)."""
    if query_timeout < 0:
        raise ValueError(f"query_timeout must be 0 or more seconds, got {query_timeout}")
    if database_url.startswith("sqlite:"):
        from paperwire.store.sqlite import SqliteConnections
        from paperwire.store.sqlite_dialect import SqliteDialect

        sqlite = SqliteConnections(sqlite_path(database_url), query_timeout=query_timeout)
        return SqlStore(sqlite, SqliteDialect(sqlite))
    if database_url.startswith(("postgresql:", "postgres:", "postgresql+psycopg:")):
        from paperwire.store.postgres import PostgresConnections
        from paperwire.store.postgres_dialect import PostgresDialect

        postgres = PostgresConnections(postgres_conninfo(database_url), query_timeout=query_timeout)
        return SqlStore(postgres, PostgresDialect(postgres))
    # Only the scheme is quoted: the rest of a URL can hold a password.
    scheme = database_url.partition(":")[0][:40]
    raise ValueError(
        f"unsupported database URL scheme {scheme!r}: use sqlite:///path.db or postgresql://…"
    )


def sqlite_path(database_url: str) -> str:
    """``sqlite:///./x.db`` → ``./x.db``; ``sqlite:////abs/x.db`` → ``/abs/x.db``."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        raise ValueError(f"not a SQLite URL: {database_url!r}")
    return database_url[len(prefix) :] or ":memory:"


def postgres_conninfo(database_url: str) -> str:
    """psycopg wants plain postgresql://; accept SQLAlchemy's +psycopg spelling too."""
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1).replace(
        "postgres://", "postgresql://", 1
    )
