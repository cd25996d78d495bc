"""``SqlStore``: every query mixin composed into one class; the backends subclass it."""

from __future__ import annotations

from paperwire.store.announcements_sql import AnnouncementQueries
from paperwire.store.bulk_sql import BulkLoadQueries
from paperwire.store.harvest_sql import HarvestQueries
from paperwire.store.listing_sql import ListingQueries
from paperwire.store.runs_sql import RunQueries
from paperwire.store.search_sql import SearchQueries


class SqlStore(
    BulkLoadQueries,  # builds on PaperQueries (its fallback upserts) and LeaseQueries
    HarvestQueries,
    AnnouncementQueries,
    RunQueries,
    SearchQueries,
    ListingQueries,
):
    """Backends provide ``_reading()`` (parallel readers) and ``_writing()`` (one
    transaction, a single serialized writer on SQLite); the mixins do the rest."""
