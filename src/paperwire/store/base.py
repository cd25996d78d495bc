"""The Store protocol: what the rest of paperwire may ask of a database."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from paperwire.store.accounts_sql import AccountStore
from paperwire.store.announcements_sql import AnnouncementStore
from paperwire.store.bulk_sql import BulkLoadStore
from paperwire.store.comments_sql import CommentStore
from paperwire.store.harvest_sql import HarvestStore
from paperwire.store.leases_sql import LeaseStore
from paperwire.store.library_sql import LibraryStore
from paperwire.store.listing_sql import ListingStore
from paperwire.store.outbox_sql import OutboxStore
from paperwire.store.papers_sql import PaperStore
from paperwire.store.runs_sql import RunStore
from paperwire.store.search_sql import SearchStore
from paperwire.store.signals_sql import SignalStore
from paperwire.store.submissions_sql import SubmissionStore
from paperwire.store.subscriptions_sql import SubscriptionStore
from paperwire.store.trending_sql import TrendingStore
from paperwire.store.votes_sql import VoteStore


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
    SubmissionStore,
    SignalStore,
    LibraryStore,
    CommentStore,
    SubscriptionStore,
    OutboxStore,
    AccountStore,
    VoteStore,
    TrendingStore,
    Protocol,
):
    """Implemented by ``SqlStore`` on SQLite and PostgreSQL; contract tests run on both.
    Each part's protocol lives beside its SQL (``*_sql.py``)."""

    dialect: str  # "sqlite" or "postgresql"

    def close(self) -> None: ...
