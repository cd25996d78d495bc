"""Search SQL specific to postgres (keyword index syntax, vector index). Owned by issue 4."""

from __future__ import annotations

from paperwire.store.sql import SqlBase


class PostgresSearch(SqlBase):
    """Overrides/extends SearchQueries where postgres differs."""
