"""Harvest state: how far each OAI-PMH harvest got, so a rerun resumes.

Owned by issue 3 (arXiv API / OAI-PMH). Placeholder until that work lands: the mixin is already part of
``SqlStore`` and its protocol part of ``Store``, so adding methods here needs no
edits elsewhere.
"""

from __future__ import annotations

from typing import Protocol

from paperwire.store.sql import SqlBase


class HarvestStore(Protocol):
    """What the rest of paperwire may ask of this part of the store."""


class HarvestQueries(SqlBase):
    """SQL shared by SQLite and PostgreSQL for this part."""
