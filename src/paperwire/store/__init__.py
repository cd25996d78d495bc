"""All SQL lives here. ``open_store(url)`` picks the backend from the database URL."""

from __future__ import annotations

from paperwire.store.base import Store
from paperwire.store.factory import open_store
from paperwire.store.migrate import upgrade_database
from paperwire.store.sql import QueryTimeout

__all__ = ["QueryTimeout", "Store", "open_store", "upgrade_database"]
