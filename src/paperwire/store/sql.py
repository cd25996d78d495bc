"""Common ground of the SQL backends: the ``Db`` surface both drivers are adapted to,
and ``SqlBase``, which every query mixin builds on. Statements use ``?`` placeholders;
the PostgreSQL backend rewrites them to ``%s``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

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


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlBase:
    """What every query mixin can rely on: the two context managers of the backend."""

    dialect = "sql"
    # What the driver raises when a bulk load's batch meets an id already stored, or
    # being stored by a transaction beside it (``BulkLoadStore.bulk_load_writers``).
    bulk_conflict_errors: tuple[type[Exception], ...] = ()

    def _reading(self) -> AbstractContextManager[Db]:
        raise NotImplementedError

    def _writing(self) -> AbstractContextManager[Db]:
        raise NotImplementedError

    def _bulk_writing(self) -> AbstractContextManager[Db]:
        """A write transaction for rows that are consistent by construction (a bulk
        load's papers with their own category and author rows); SQLite skips the
        foreign-key lookups in it."""
        return self._writing()

    def _bulk_journal(self, *, bulk: bool) -> None:
        """Switch the database's journal for a bulk load (``bulk``) and back; SQLite."""

    def _index_written_papers(self, db: Db, *, count: int) -> None:
        """Called by ``upsert_papers`` inside its transaction after writing ``count``
        rows, so search indexes that are not triggers stay current (SQLite FTS5)."""
