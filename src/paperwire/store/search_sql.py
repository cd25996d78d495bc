"""Search: keyword index, embeddings and vectors; dialect-specific parts live in search_sqlite.py / search_postgres.py.

Owned by issue 4 (search). Placeholder until that work lands: the mixin is already part of
``SqlStore`` and its protocol part of ``Store``, so adding methods here needs no
edits elsewhere.
"""

from __future__ import annotations

from typing import Protocol

from paperwire.store.sql import SqlBase


class SearchStore(Protocol):
    """What the rest of paperwire may ask of this part of the store."""


class SearchQueries(SqlBase):
    """SQL shared by SQLite and PostgreSQL for this part."""
