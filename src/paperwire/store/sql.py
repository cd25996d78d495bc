"""Common ground of the store's parts: the ``Db`` surface both drivers are adapted to,
``Connections`` (how a backend hands one out, to read or inside a write transaction)
and ``Part``, what every part of the store is built on. Statements use ``?``
placeholders; the PostgreSQL driver rewrites them to ``%s``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from paperwire.store.dialect import Dialect

ID_CHUNK = 500  # stay below SQLite's bound-parameter limit


class QueryTimeout(RuntimeError):
    """A read statement ran past the store's deadline (``open_store(query_timeout=…)``)
    and was stopped; the connection stays usable. Raised alike by both backends."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the database did not answer within {seconds:g} s")
        self.seconds = seconds


class Db(Protocol):
    """The small surface both drivers are adapted to."""

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...


# Characters of an author key: at most 4 bytes each in UTF-8, so a key stays inside a
# PostgreSQL B-tree entry (2,704 bytes) whatever the name; casefolding can triple a
# name's bytes ("ΐ" is 2 bytes, its casefold 6), so the name alone is no bound.
AUTHOR_KEY_CHARS = 500


def author_key(name: str) -> str:
    """Case- and space-insensitive key for author pages and the author filter (the
    first ``AUTHOR_KEY_CHARS`` characters: names longer than that share a key)."""
    return " ".join(name.split()).casefold()[:AUTHOR_KEY_CHARS]


def fetch_count(db: Db, sql: str, params: Sequence[Any] = ()) -> int:
    """The integer a counting statement selects as ``n`` (0 when it gives no row)."""
    row = db.fetchone(sql, params)
    return int(row["n"]) if row else 0


def bump_data_version(db: Db, name: str) -> None:
    """Count a change to the data ``name`` stands for (``community``: votes, comments,
    approved submissions, saves), inside the writer's transaction, so page caches and
    ETags follow. The time is the database's clock, as the papers' triggers write it
    (on SQLite the same text form, so ``MAX(changed_at)`` compares like with like)."""
    db.execute(
        "UPDATE data_versions SET version = version + 1, changed_at = CURRENT_TIMESTAMP "
        "WHERE name = ?",
        (name,),
    )


StatsColumn = Literal["upvotes", "comments", "saves"]


def add_paper_stat(db: Db, paper_id: str, column: StatsColumn, delta: int) -> None:
    """Add ``delta`` to one counter of ``paper_stats`` (the row made when missing), in
    the transaction that writes the counted row: one statement, so concurrent writers
    on either backend never lose an update."""
    if column not in ("upvotes", "comments", "saves"):
        raise ValueError(f"not a paper_stats counter: {column!r}")
    db.execute(
        f"INSERT INTO paper_stats (paper_id, {column}) VALUES (?, ?) "
        f"ON CONFLICT (paper_id) DO UPDATE SET {column} = paper_stats.{column} + excluded.{column}",
        (paper_id, delta),
    )


def family_key(key: str) -> str:
    """The last word of an ``author_key``: what a one-word author filter matches."""
    return key.rsplit(" ", 1)[-1]


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Connections(Protocol):
    """A backend's connections: ``reading()`` gives this thread's reader (readers run in
    parallel, under the store's deadline when it has one); ``writing()`` runs one write
    transaction and joins the outer one when nested, so parts can call each other
    inside a transaction (a single serialized writer on SQLite)."""

    def reading(self) -> AbstractContextManager[Db]: ...

    def writing(self) -> AbstractContextManager[Db]: ...

    def close(self) -> None: ...


class Part:
    """One part of the store (papers, listings, search, …): it gets the backend's
    connections and its ``Dialect``, where everything SQLite and PostgreSQL do
    differently is kept, and writes the rest of its SQL once for both."""

    def __init__(self, connections: Connections, dialect: Dialect) -> None:
        self.connections = connections
        self.dialect = dialect
