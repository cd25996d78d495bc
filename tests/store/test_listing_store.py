"""The listing part of the store on both backends: data version and listed days."""

from __future__ import annotations

from datetime import date

from paperwire.store import Store
from tests.browse.helpers import calendar_papers, paper_on


def test_data_version_moves_on_every_change_only(store: Store) -> None:
    empty = store.data_version()
    store.upsert_papers(calendar_papers())
    loaded = store.data_version()
    assert loaded.version > empty.version and loaded.changed_at >= empty.changed_at
    assert loaded.changed_at.tzinfo is not None
    store.upsert_papers(calendar_papers())  # unchanged: nothing written
    assert store.data_version() == loaded
    changed = paper_on(date(2024, 1, 8), 1, title="A new title")
    store.upsert_papers([changed])
    assert store.data_version().version > loaded.version


def test_newest_and_adjacent_listed_days(store: Store) -> None:
    assert store.newest_listed_day() is None
    store.upsert_papers(calendar_papers())
    assert store.newest_listed_day() == date(2024, 2, 1)
    assert store.adjacent_listed_days(date(2024, 1, 8), date(2024, 1, 14)) == (None, date(2024, 1, 15))
