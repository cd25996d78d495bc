"""Harvest state: how far each OAI-PMH harvest got, so a rerun resumes.

A harvest of one (source, set, metadata prefix) covers a window ``from_date`` ..
``until_date``. After each page is stored the state advances to that page's
resumption token; a harvest that stopped (crash, HTTP error, timeout) is resumed from
the token of its last completed page. When the list is complete, ``completed_at`` is
set and ``harvested_until`` records the newest datestamp seen, so the next harvest
without an explicit ``from`` starts there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from paperwire.store.codec import date_or_none, datetime_or_none
from paperwire.store.sql import Db, Part


@dataclass(frozen=True, slots=True)
class HarvestKey:
    source: str  # e.g. "arxiv_oai"
    set_spec: str  # "" = every set
    prefix: str  # metadata prefix, e.g. "arXiv"


@dataclass(frozen=True, slots=True)
class HarvestState:
    key: HarvestKey
    from_date: date | None = None  # window of the harvest in progress (or the last one)
    until_date: date | None = None
    resumption_token: str | None = None  # to ask for the page after the last completed one
    cursor: int = 0  # records covered by the completed pages
    complete_list_size: int | None = None  # as the server announced it, when it did
    pages_done: int = 0
    records_done: int = 0
    max_datestamp: date | None = None  # newest record datestamp seen in this window
    harvested_until: date | None = None  # newest datestamp of the last complete harvest
    started_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None

    @property
    def in_progress(self) -> bool:
        return self.started_at is not None and self.completed_at is None


class HarvestStore(Protocol):
    """What the rest of paperwire may ask of this part of the store."""

    def get_harvest(self, key: HarvestKey) -> HarvestState | None: ...

    def start_harvest(
        self, key: HarvestKey, *, from_date: date | None, until_date: date | None
    ) -> HarvestState:
        """Begin (or restart) a window: progress is reset, ``harvested_until`` kept."""
        ...

    def advance_harvest(
        self,
        key: HarvestKey,
        *,
        token: str | None,
        cursor: int,
        complete_list_size: int | None,
        records: int,
        max_datestamp: date | None,
    ) -> HarvestState:
        """Record one more completed page. Call only after the page is stored."""
        ...

    def complete_harvest(self, key: HarvestKey) -> HarvestState:
        """Mark the window done; ``harvested_until`` becomes the newest datestamp seen
        (never earlier than before, nor than the window's ``from``)."""
        ...


def _latest(*days: date | None) -> date | None:
    known = [d for d in days if d is not None]
    return max(known) if known else None


def _row_to_state(row: dict[str, Any]) -> HarvestState:
    return HarvestState(
        key=HarvestKey(row["source"], row["set_spec"], row["prefix"]),
        from_date=date_or_none(row["from_date"]),
        until_date=date_or_none(row["until_date"]),
        resumption_token=row["resumption_token"],
        cursor=int(row["page_cursor"]),
        complete_list_size=row["complete_list_size"],
        pages_done=int(row["pages_done"]),
        records_done=int(row["records_done"]),
        max_datestamp=date_or_none(row["max_datestamp"]),
        harvested_until=date_or_none(row["harvested_until"]),
        started_at=datetime_or_none(row["started_at"]),
        updated_at=datetime_or_none(row["updated_at"]),
        completed_at=datetime_or_none(row["completed_at"]),
    )


_KEY_WHERE = "source = ? AND set_spec = ? AND prefix = ?"


class Harvests(Part):
    """Harvest state, written once for both backends."""

    def _harvest_row(self, db: Db, key: HarvestKey) -> HarvestState | None:
        row = db.fetchone(
            f"SELECT * FROM harvest_state WHERE {_KEY_WHERE}",
            (key.source, key.set_spec, key.prefix),
        )
        return _row_to_state(row) if row else None

    def get_harvest(self, key: HarvestKey) -> HarvestState | None:
        with self.connections.reading() as db:
            return self._harvest_row(db, key)

    def start_harvest(
        self, key: HarvestKey, *, from_date: date | None, until_date: date | None
    ) -> HarvestState:
        now = datetime.now(UTC)
        with self.connections.writing() as db:
            db.execute(
                "INSERT INTO harvest_state (source, set_spec, prefix, from_date, until_date, "
                "resumption_token, page_cursor, complete_list_size, pages_done, records_done, "
                "max_datestamp, started_at, updated_at, completed_at) "
                "VALUES (?, ?, ?, ?, ?, NULL, 0, NULL, 0, 0, NULL, ?, ?, NULL) "
                "ON CONFLICT (source, set_spec, prefix) DO UPDATE SET "
                "from_date = excluded.from_date, until_date = excluded.until_date, "
                "resumption_token = NULL, page_cursor = 0, complete_list_size = NULL, "
                "pages_done = 0, records_done = 0, max_datestamp = NULL, "
                "started_at = excluded.started_at, updated_at = excluded.updated_at, "
                "completed_at = NULL",
                (key.source, key.set_spec, key.prefix, from_date, until_date, now, now),
            )
            state = self._harvest_row(db, key)
        assert state is not None
        return state

    def advance_harvest(
        self,
        key: HarvestKey,
        *,
        token: str | None,
        cursor: int,
        complete_list_size: int | None,
        records: int,
        max_datestamp: date | None,
    ) -> HarvestState:
        with self.connections.writing() as db:
            old = self._harvest_row(db, key)
            if old is None or not old.in_progress:
                raise LookupError(f"no harvest in progress for {key}")
            db.execute(
                "UPDATE harvest_state SET resumption_token = ?, page_cursor = ?, "
                "complete_list_size = ?, pages_done = pages_done + 1, "
                f"records_done = records_done + ?, max_datestamp = ?, updated_at = ? WHERE {_KEY_WHERE}",
                (
                    token,
                    cursor,
                    complete_list_size if complete_list_size is not None else old.complete_list_size,
                    records,
                    _latest(old.max_datestamp, max_datestamp),
                    datetime.now(UTC),
                    key.source,
                    key.set_spec,
                    key.prefix,
                ),
            )
            state = self._harvest_row(db, key)
        assert state is not None
        return state

    def complete_harvest(self, key: HarvestKey) -> HarvestState:
        now = datetime.now(UTC)
        with self.connections.writing() as db:
            old = self._harvest_row(db, key)
            if old is None:
                raise LookupError(f"no harvest for {key}")
            until = _latest(old.harvested_until, old.max_datestamp, old.from_date)
            db.execute(
                "UPDATE harvest_state SET resumption_token = NULL, completed_at = ?, "
                f"updated_at = ?, harvested_until = ? WHERE {_KEY_WHERE}",
                (now, now, until, key.source, key.set_spec, key.prefix),
            )
            state = self._harvest_row(db, key)
        assert state is not None
        return state
