"""Listings for the site and API: papers of a day/week/month, day navigation, authors, categories, trending.

Owned by issue 5 (the site). Placeholder until that work lands: the mixin is already part of
``SqlStore`` and its protocol part of ``Store``, so adding methods here needs no
edits elsewhere.
"""

from __future__ import annotations

from typing import Protocol

from paperwire.store.sql import SqlBase


class ListingStore(Protocol):
    """What the rest of paperwire may ask of this part of the store."""


class ListingQueries(SqlBase):
    """SQL shared by SQLite and PostgreSQL for this part."""
