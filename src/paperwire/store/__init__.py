"""All SQL lives here. ``open_store(url)`` picks the backend from the database URL.

What the rest of paperwire may use of the store is exported here, and only here: the
``Store`` interface with its value types (harvest keys and states, a lease owner's
name, the rows of a bulk load and how papers are encoded into them) and its errors."""

from __future__ import annotations

from paperwire.store.base import Store
from paperwire.store.codec import BulkRows, bulk_rows
from paperwire.store.factory import open_store
from paperwire.store.harvest_sql import HarvestKey, HarvestState
from paperwire.store.leases_sql import new_owner
from paperwire.store.migrate import upgrade_database
from paperwire.store.sql import QueryTimeout

__all__ = [
    "BulkRows",
    "HarvestKey",
    "HarvestState",
    "QueryTimeout",
    "Store",
    "bulk_rows",
    "new_owner",
    "open_store",
    "upgrade_database",
]
