"""Announcement days and source runs: the same contract on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from paperwire.models import AnnouncementDay, AnnouncementEntry, Paper, UpsertCounts
from paperwire.store import Store

T0 = datetime(2025, 11, 4, 6, 0, tzinfo=UTC)


def test_source_run_lifecycle(store: Store) -> None:
    assert store.source_runs() == [] and store.get_source_run("announcements") is None
    store.start_source_run("announcements", started_at=T0)
    run = store.get_source_run("announcements")
    assert run is not None and run.status == "running" and run.last_started == T0 and run.runs == 1

    store.finish_source_run("announcements", finished_at=T0 + timedelta(seconds=5), counts=UpsertCounts(3, 1, 2, 0))
    run = store.get_source_run("announcements")
    assert run is not None and run.status == "ok"
    assert run.last_success == T0 + timedelta(seconds=5) and run.last_error is None
    assert run.counts == UpsertCounts(3, 1, 2, 0)

    later = T0 + timedelta(hours=1)
    store.start_source_run("announcements", started_at=later)
    store.finish_source_run("announcements", finished_at=later, counts=UpsertCounts(failed=1), error="http://x/rss/cs.CV: HTTP 503")
    run = store.get_source_run("announcements")
    assert run is not None and run.status == "failed" and run.runs == 2
    assert run.last_success == T0 + timedelta(seconds=5)  # the last success is kept
    assert run.last_failure == later and run.last_error == "http://x/rss/cs.CV: HTTP 503"
    assert run.counts == UpsertCounts(failed=1)

    store.start_source_run("other", started_at=later)
    assert [r.source for r in store.source_runs()] == ["announcements", "other"]


def test_finish_without_start_still_records(store: Store) -> None:
    store.finish_source_run("oai:cs", finished_at=T0, counts=UpsertCounts(added=1))
    run = store.get_source_run("oai:cs")
    assert run is not None and run.status == "ok" and run.counts.added == 1


def test_announcement_days_and_entries(store: Store) -> None:
    monday, saturday = date(2025, 11, 3), date(2025, 11, 8)
    paper = Paper(id="2511.00123", version=1, title="T", announced=monday, announce_type="new", categories=["cs.CV"])
    counts = store.record_announcement_day(
        AnnouncementDay("cs.CV", monday, "announced", 1, T0),
        papers=[paper],
        entries=[AnnouncementEntry("2511.00123", "new", 1)],
    )
    assert counts == UpsertCounts(added=1)
    store.record_announcement_day(AnnouncementDay("cs.CV", saturday, "none", 0, T0))
    store.record_announcement_day(AnnouncementDay("cs.LG", saturday, "none", 0, T0))

    assert store.announcement_status(monday) == "announced"
    assert store.announcement_status(saturday) == "none"
    assert store.announcement_status(saturday, ["cs.LG", "math.AG"]) == "none"
    assert store.announcement_status(date(2025, 11, 9)) is None
    days = store.announcement_days()
    assert [(d.day, d.category, d.status) for d in days] == [
        (saturday, "cs.CV", "none"), (saturday, "cs.LG", "none"), (monday, "cs.CV", "announced"),
    ]
    assert days[0].fetched_at == T0
    assert [d.day for d in store.announcement_days(since=date(2025, 11, 5))] == [saturday, saturday]
    assert [d.category for d in store.announcement_days(category="cs.LG")] == ["cs.LG"]
    assert [d.day for d in store.announcement_days(until=monday)] == [monday]
    [entry] = store.announcement_entries(monday)
    assert (entry.paper_id, entry.announce_type, entry.version, entry.category, entry.day) == (
        "2511.00123", "new", 1, "cs.CV", monday,
    )

    # Fetching the same day again replaces its entries and status: no duplicates.
    store.record_announcement_day(
        AnnouncementDay("cs.CV", monday, "announced", 1, T0 + timedelta(hours=1)),
        papers=[paper],
        entries=[AnnouncementEntry("2511.00123", "new", 1)],
    )
    assert len(store.announcement_entries(monday)) == 1
    assert len(store.announcement_days(category="cs.CV")) == 2
    assert store.announcement_days(category="cs.CV", until=monday)[0].fetched_at == T0 + timedelta(hours=1)


def test_announcement_days_bump_the_data_version_only_when_they_change(store: Store) -> None:
    saturday = date(2025, 11, 8)
    v0 = store.data_version().version
    store.record_announcement_day(AnnouncementDay("cs.CV", saturday, "none", 0, T0))
    v1 = store.data_version().version
    assert v1 > v0
    store.record_announcement_day(AnnouncementDay("cs.CV", saturday, "none", 0, T0 + timedelta(hours=1)))
    assert store.data_version().version == v1  # refetched, nothing changed
    store.record_announcement_day(AnnouncementDay("cs.CV", saturday, "announced", 2, T0 + timedelta(hours=2)))
    assert store.data_version().version > v1
