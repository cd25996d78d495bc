"""Search SQL specific to sqlite (keyword index syntax, vector index). Owned by issue 4."""

from __future__ import annotations

from paperwire.store.sql import SqlBase


class SqliteSearch(SqlBase):
    """Overrides/extends SearchQueries where sqlite differs."""
