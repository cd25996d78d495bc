"""The worker's digest jobs: the time-of-day grammar, due times, the same send as the
CLI, and retries of refused messages without waiting for the next day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperwire.ingest.http import HttpxClient
from paperwire.store import Store
from paperwire.worker import (
    DIGEST_RETRY_GAP,
    ScheduleError,
    TimeOfWeek,
    Worker,
    jobs_from_settings,
    parse_schedule,
)
from tests.digest.scenario import FRIDAY_MORNING, recipients, settings_for, subscribe, week_papers
from tests.mail_server import MailServer

HOUR = timedelta(hours=1)


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_times_of_day_and_week_in_the_schedule() -> None:
    specs = parse_schedule(
        "digest:daily@06:30; digest:weekly @ FRI 18:00; index@1h", default_every=HOUR
    )
    assert [(s.kind, s.args, s.at) for s in specs] == [
        ("digest", ("daily",), TimeOfWeek(6, 30)),
        ("digest", ("weekly",), TimeOfWeek(18, 0, weekday=4)),
        ("index", (), None),
    ]
    assert specs[2].every == HOUR


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("digest:daily@24:00", "is not a time like 06:30"),
        ("digest:daily@07:60", "is not a time like 06:30"),
        ("digest:weekly@fry 07:00", "is not a time like 06:30"),
        ("digest:daily@7:00", "is not an interval"),
    ],
)
def test_bad_times_are_named(text: str, problem: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_schedule(text, default_every=HOUR)
    assert "PAPERWIRE_WORKER_SOURCES" in str(info.value) and problem in str(info.value)


def test_next_scheduled_moment() -> None:
    friday_0700 = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
    daily = TimeOfWeek(6, 30)
    assert daily.next_after(friday_0700) == datetime(2026, 12, 5, 6, 30, tzinfo=UTC)
    assert daily.next_after(friday_0700 - HOUR) == datetime(2026, 12, 4, 6, 30, tzinfo=UTC)
    assert daily.next_after(datetime(2026, 12, 4, 6, 30, tzinfo=UTC)) == datetime(
        2026, 12, 5, 6, 30, tzinfo=UTC
    )
    friday = TimeOfWeek(18, 0, weekday=4)
    assert friday.next_after(friday_0700) == datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    assert friday.next_after(datetime(2026, 12, 4, 18, 0, tzinfo=UTC)) == datetime(
        2026, 12, 11, 18, 0, tzinfo=UTC
    )
    monday = TimeOfWeek(0, 5, weekday=0)
    assert monday.next_after(friday_0700) == datetime(2026, 12, 7, 0, 5, tzinfo=UTC)


def test_digest_kind_needs_frequencies(http_client: HttpxClient, tmp_path: Path) -> None:
    base = settings_for(None, f"sqlite:///{tmp_path / 'x.db'}", tmp_path)
    for bad in ("digest@06:30", "digest:monthly@06:30"):
        with pytest.raises(ScheduleError, match="'digest' needs daily and/or weekly"):
            jobs_from_settings(base.model_copy(update={"worker_sources": bad}), client=http_client)
    jobs = jobs_from_settings(
        base.model_copy(update={"worker_sources": "digest:daily,weekly@06:30"}), client=http_client
    )
    assert [(j.name, j.at) for j in jobs] == [
        ("digest:daily", TimeOfWeek(6, 30)),
        ("digest:weekly", TimeOfWeek(6, 30)),
    ]


def test_the_worker_sends_at_its_time_and_retries_refusals(
    store: Store,
    smtp_server: MailServer,
    database_url: str,
    tmp_path: Path,
    http_client: HttpxClient,
) -> None:
    store.upsert_papers(week_papers())
    subscribe(store, "ok@example.org")
    subscribe(store, "busy@example.org")
    smtp_server.handler.rcpt_replies["busy@example.org"] = "451 4.2.1 Try again later"
    settings = settings_for(
        smtp_server, database_url, tmp_path, worker_sources="digest:daily@06:30"
    )
    clock = FakeClock(FRIDAY_MORNING - 2 * HOUR)  # 05:00
    worker = Worker(
        store,
        jobs_from_settings(settings, client=http_client, clock=clock),
        clock=clock,
        sleep=clock.sleep,
    )
    [job] = worker.jobs
    assert worker.run_due() == []  # 05:00: not yet
    assert worker.next_due(job) == datetime(2026, 12, 4, 6, 30, tzinfo=UTC)
    clock.now = datetime(2026, 12, 4, 6, 30, tzinfo=UTC)
    [outcome] = worker.run_due()
    assert outcome.name == "digest:daily" and outcome.ok
    assert recipients(smtp_server.messages) == ["ok@example.org"]
    run = store.get_source_run("digest:daily")
    assert run is not None and run.counts.added == 1 and run.status == "ok"

    # The refused message is due again after its backoff, long before tomorrow 06:30.
    retry_at = worker.next_due(job)
    assert retry_at is not None and retry_at - clock.now == max(
        timedelta(minutes=5), DIGEST_RETRY_GAP
    )
    smtp_server.handler.rcpt_replies.clear()
    clock.now += timedelta(minutes=1)
    assert worker.run_due() == []
    clock.now = retry_at
    [again] = worker.run_due()
    assert again.ok
    assert recipients(smtp_server.messages) == ["busy@example.org", "ok@example.org"]
    assert worker.next_due(job) == datetime(2026, 12, 5, 6, 30, tzinfo=UTC)
