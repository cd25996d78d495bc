"""The Store protocol: what the rest of paperwire may ask of a database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from paperwire.models import Paper, UpsertCounts
from paperwire.store.announcements_sql import AnnouncementStore
from paperwire.store.bulk_sql import BulkLoadStore
from paperwire.store.harvest_sql import HarvestStore
from paperwire.store.leases_sql import LeaseStore
from paperwire.store.listing_sql import ListingStore
from paperwire.store.runs_sql import RunStore
from paperwire.store.search_sql import SearchStore


class PaperStore(Protocol):
    """Papers: upsert and lookup."""

    dialect: str

    def upsert_papers(self, papers: Iterable[Paper], *, defer_index: bool = False) -> UpsertCounts:
        """Insert or update in one transaction: all of the batch or none of it.

        A newer version replaces an older; an older version never overwrites a newer;
        identical content counts as unchanged. The keyword index is brought up to date
        in the same transaction unless ``defer_index``: bulk imports pass it (indexing
        is the slowest part of a SQLite write) and call ``refresh_keyword_index()`` once
        at the end.
        """
        ...

    def delete_papers(self, paper_ids: Iterable[str]) -> int:
        """Remove these papers and everything hanging off them (categories, authors,
        embeddings, keyword entries) in one transaction; how many existed."""
        ...

    def get_paper(self, paper_id: str) -> Paper | None: ...

    def get_papers(self, paper_ids: list[str]) -> list[Paper]:
        """Papers in the order of ``paper_ids``; unknown ids are left out."""
        ...

    def latest_papers(self, *, limit: int = 50, offset: int = 0) -> list[Paper]: ...

    def count_papers(self, *, source: str | None = None) -> int: ...

    def close(self) -> None: ...


@runtime_checkable
class Store(
    PaperStore,
    AnnouncementStore,
    BulkLoadStore,
    HarvestStore,
    LeaseStore,
    RunStore,
    SearchStore,
    ListingStore,
    Protocol,
):
    """Implemented by ``SqliteStore`` and ``PostgresStore``; contract tests run on both.
    Each part's protocol lives beside its SQL (``*_sql.py``)."""
