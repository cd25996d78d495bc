"""Announcement days and each source's runs (last run, last success, counts, last error).

Owned by issue 3 (announcements, worker, /status). Placeholder until that work lands: the mixin is already part of
``SqlStore`` and its protocol part of ``Store``, so adding methods here needs no
edits elsewhere.
"""

from __future__ import annotations

from typing import Protocol

from paperwire.store.sql import SqlBase


class RunStore(Protocol):
    """What the rest of paperwire may ask of this part of the store."""


class RunQueries(SqlBase):
    """SQL shared by SQLite and PostgreSQL for this part."""
