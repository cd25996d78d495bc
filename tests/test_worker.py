"""The worker: schedule parsing, due jobs, failures isolated, stop — with an injected
clock and sleep, real stores and a real loopback feed server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.ingest.http import HttpxClient
from paperwire.models import UpsertCounts
from paperwire.store import Store, open_store
from paperwire.worker import Job, ScheduleError, Worker, jobs_from_settings, parse_schedule
from tests.replay import Reply

RSS = Path(__file__).resolve().parent / "data" / "rss"
HOUR = timedelta(hours=1)


class FakeClock:
    def __init__(self, start: datetime = datetime(2025, 11, 3, 6, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def clocked_worker(store: Store, settings: Settings, client: HttpxClient, clock: FakeClock) -> Worker:
    """The worker over ``settings``' jobs, with time and sleep both on ``clock``."""
    return Worker(store, jobs_from_settings(settings, client=client, clock=clock), clock=clock, sleep=clock.sleep)


def test_parse_schedule() -> None:
    specs = parse_schedule(" announcements:cs.CV, cs.LG @ 30m ; index@1d;oai:cs", default_every=HOUR)
    assert [(s.kind, s.args, s.every) for s in specs] == [
        ("announcements", ("cs.CV", "cs.LG"), timedelta(minutes=30)),
        ("index", (), timedelta(days=1)),
        ("oai", ("cs",), HOUR),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("announcements:cs.CV@soon", "'soon' is not an interval"),
        ("announcements:cs.CV@0m", "'0m' is not an interval"),
        (":cs.CV", "does not start with a job kind"),
    ],
)
def test_bad_schedule_is_named(text: str, problem: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_schedule(text, default_every=HOUR)
    assert "PAPERWIRE_WORKER_SOURCES" in str(info.value) and problem in str(info.value)


def test_unknown_kind_and_missing_categories(tmp_path: Path, http_client: HttpxClient) -> None:
    with pytest.raises(ScheduleError, match="unknown job kind 'mail'"):
        jobs_from_settings(Settings(worker_sources="mail@1h"), client=http_client)
    with pytest.raises(ScheduleError, match="more than one job named announcements"):
        jobs_from_settings(Settings(worker_sources="announcements:cs.CV;announcements:cs.LG"), client=http_client)
    with pytest.raises(ScheduleError, match="needs categories"):
        jobs_from_settings(Settings(worker_sources="announcements@1h"), client=http_client)


class Counter:
    def __init__(self, name: str, *, fail: bool = False) -> None:
        self.name, self.fail, self.calls = name, fail, 0

    def run(self, store: Store):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.fail:
            raise RuntimeError("disk on fire")
        from paperwire.ingest.announcements import AnnouncementReport

        return AnnouncementReport(counts=UpsertCounts(unchanged=self.calls))


def test_failing_job_is_recorded_and_others_run(store: Store) -> None:
    clock = FakeClock()
    boom, fine = Counter("boom", fail=True), Counter("fine")
    worker = Worker(store, [Job("boom", HOUR, boom.run), Job("fine", HOUR, fine.run)],
                    clock=clock, sleep=clock.sleep, max_sleep=86400)
    outcomes = worker.run_due()
    assert [(o.name, o.ok) for o in outcomes] == [("boom", False), ("fine", True)]
    assert "RuntimeError: disk on fire" in (outcomes[0].error or "")
    boom_run, fine_run = store.get_source_run("boom"), store.get_source_run("fine")
    assert boom_run is not None and boom_run.status == "failed" and boom_run.last_error == "RuntimeError: disk on fire"
    assert fine_run is not None and fine_run.status == "ok" and fine_run.last_success == clock.now

    # Nothing is due again until an interval has passed; force runs them anyway.
    assert worker.run_due() == []
    clock.sleep(30 * 60)
    assert worker.run_due() == [] and worker.seconds_until_next() == 30 * 60
    assert len(worker.run_due(force=True)) == 2
    clock.sleep(3600)
    assert [o.name for o in worker.run_due()] == ["boom", "fine"]
    assert (boom.calls, fine.calls) == (3, 3)


def test_run_forever_sleeps_until_due_and_stops(store: Store) -> None:
    clock = FakeClock()
    fine = Counter("fine")
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.sleep(seconds)
        if len(sleeps) == 5:
            worker.stop()

    worker = Worker(store, [Job("fine", timedelta(minutes=2), fine.run)], clock=clock, sleep=sleep, max_sleep=60)
    worker.run_forever()
    # Ran at t=0, slept 60 + 60, ran at t=120, slept 60 + 60, ran at t=240, slept, stopped.
    assert fine.calls == 3 and sleeps == [60, 60, 60, 60, 60]
    run = store.get_source_run("fine")
    assert run is not None and run.runs == 3


def test_worker_announcements_job_over_http(store: Store, replay, http_client: HttpxClient) -> None:  # type: ignore[no-untyped-def]
    replay.add("/rss/cs.CV", Reply(body=(RSS / "cs.CV-2025-11-03-new.rss.xml").read_bytes()))
    replay.add("/rss/cs.LG", Reply(body=(RSS / "malformed.rss.xml").read_bytes()))
    clock = FakeClock()
    settings = Settings(
        announcements_url=replay.base_url + "/rss", worker_sources="announcements:cs.CV,cs.LG@1h",
        announcements_delay=0,
    )
    worker = clocked_worker(store, settings, http_client, clock)
    [outcome] = worker.run_due()
    assert not outcome.ok and "/rss/cs.LG" in (outcome.error or "")
    run = store.get_source_run("announcements")
    assert run is not None and run.status == "failed" and run.counts == UpsertCounts(added=3, failed=1)
    assert store.count_papers() == 3
    clock.sleep(3600)
    replay.routes["/rss/cs.LG"] = [Reply(body=(RSS / "cs.LG-2025-11-03-cross.rss.xml").read_bytes())]
    [outcome] = worker.run_due()
    assert outcome.ok
    run = store.get_source_run("announcements")
    assert run is not None and run.status == "ok" and run.counts == UpsertCounts(added=1, unchanged=4)
    assert run.last_success == clock.now and run.runs == 2


def test_worker_announcements_job_keeps_the_http_deadline(store: Store, replay, http_client: HttpxClient) -> None:  # type: ignore[no-untyped-def]
    """PAPERWIRE_HTTP_TIMEOUT bounds each whole request of the job, also against a
    server that sends a byte now and then (each read alone would be in time)."""
    replay.add("/rss/cs.CV", Reply(body=b"<rss>" + b" " * 200, trickle=0.05))
    replay.add("/rss/cs.LG", Reply(body=(RSS / "cs.LG-2025-11-03-cross.rss.xml").read_bytes()))
    clock = FakeClock()
    settings = Settings(
        announcements_url=replay.base_url + "/rss", worker_sources="announcements:cs.CV,cs.LG@1h",
        announcements_delay=0, http_timeout=0.4, http_max_retries=0,
    )
    worker = clocked_worker(store, settings, http_client, clock)
    started = time.monotonic()
    [outcome] = worker.run_due()
    assert time.monotonic() - started < 3.0  # the feed alone would take 10 s
    assert not outcome.ok and "/rss/cs.CV: timed out after 0.4 s" in (outcome.error or "")
    run = store.get_source_run("announcements")
    assert run is not None and run.counts == UpsertCounts(added=2, failed=1)  # cs.LG still stored


def _env(database_url: str, replay, sources: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        **os.environ,
        "PAPERWIRE_DATABASE_URL": database_url,
        "PAPERWIRE_ANNOUNCEMENTS_URL": replay.base_url + "/rss",
        "PAPERWIRE_WORKER_SOURCES": sources,
        "PAPERWIRE_ANNOUNCEMENTS_DELAY": "0.3",
    }


def test_cli_announcements_and_worker_once(sqlite_url: str, replay) -> None:  # type: ignore[no-untyped-def]
    replay.add("/rss/cs.CV", Reply(body=(RSS / "cs.CV-2025-11-08-weekend.rss.xml").read_bytes()))
    replay.add("/rss/cs.LG", Reply(body=(RSS / "cs.LG-2025-11-03-cross.rss.xml").read_bytes()))
    env = _env(sqlite_url, replay, "announcements:cs.CV,cs.LG@1h")
    cmd = [sys.executable, "-m", "paperwire.cli"]
    first = subprocess.run([*cmd, "ingest", "announcements", "cs.CV", "cs.LG", "--json"], env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    assert replay.requests[1].at - replay.requests[0].at >= 0.3  # PAPERWIRE_ANNOUNCEMENTS_DELAY
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert (summary["added"], summary["failed"]) == (2, 0)
    assert [(d["category"], d["day"], d["status"]) for d in summary["days"]] == [
        ("cs.CV", "2025-11-08", "none"), ("cs.LG", "2025-11-03", "announced"),
    ]
    text = subprocess.run([*cmd, "ingest", "announcements", "cs.CV", "cs.LG"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert text.returncode == 0
    lines = text.stdout.strip().splitlines()
    assert lines[0] == "cs.CV 2025-11-08: no announcement"
    assert lines[-1] == "announcements: added 0, updated 0, unchanged 2, failed 0"

    # The CLI and the worker record under the same source: the job is not due yet.
    once = subprocess.run([*cmd, "worker", "--once"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert once.returncode == 0 and "no job is due" in once.stdout
    forced = subprocess.run([*cmd, "worker", "--once", "--force"], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert forced.returncode == 0 and "announcements: ok" in forced.stdout
    store = open_store(sqlite_url)
    try:
        run = store.get_source_run("announcements")
        assert run is not None and run.runs == 3 and run.status == "ok"
    finally:
        store.close()

    bad = subprocess.run([*cmd, "worker", "--once"], env={**env, "PAPERWIRE_WORKER_SOURCES": "announcements@often"},
                         capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "'often' is not an interval" in bad.stderr


def test_worker_stops_on_sigterm(sqlite_url: str, replay) -> None:  # type: ignore[no-untyped-def]
    replay.add("/rss/cs.CV", Reply(body=(RSS / "cs.CV-2025-11-03-new.rss.xml").read_bytes()))
    env = _env(sqlite_url, replay, "announcements:cs.CV@1h")
    proc = subprocess.Popen([sys.executable, "-m", "paperwire.cli", "worker"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not replay.requests:
            time.sleep(0.1)
        assert replay.requests, "the worker never fetched the feed"
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "worker stopped" in out
    store = open_store(sqlite_url)
    try:
        run = store.get_source_run("announcements")
        assert run is not None and run.status == "ok" and run.counts.added == 3
    finally:
        store.close()


def test_other_ingest_commands_record_their_runs(sqlite_url: str, tmp_path: Path) -> None:
    from paperwire.ingest.sample import SAMPLE_DIR

    bad = tmp_path / "truncated.xml"
    bad.write_text("<feed xmlns='http://www.w3.org/2005/Atom'><entry>")
    good = SAMPLE_DIR / "id_2104.12255v1_s0_m100_6ae69987ffe1.json"
    env = {**os.environ, "PAPERWIRE_DATABASE_URL": sqlite_url}
    result = subprocess.run([sys.executable, "-m", "paperwire.cli", "ingest", "atom", str(bad), str(good)],
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    store = open_store(sqlite_url)
    try:
        run = store.get_source_run("atom")
        assert run is not None and run.status == "failed" and run.counts == UpsertCounts(added=1, failed=1)
        assert run.last_error is not None and "truncated.xml" in run.last_error
    finally:
        store.close()


def test_follower_runs_after_an_ingest_that_changed_papers(store: Store) -> None:
    clock = FakeClock()

    class Adds(Counter):
        def run(self, store: Store):  # type: ignore[no-untyped-def]
            from paperwire.ingest.announcements import AnnouncementReport

            self.calls += 1
            return AnnouncementReport(counts=UpsertCounts(added=1 if self.calls == 2 else 0, unchanged=1))

    ingest, follower = Adds("ingest"), Counter("index")
    worker = Worker(
        store,
        [Job("index", timedelta(days=1), follower.run, follows_ingest=True), Job("ingest", HOUR, ingest.run)],
        clock=clock, sleep=clock.sleep,
    )
    assert [o.name for o in worker.run_due()] == ["ingest", "index"]  # ingest first
    clock.sleep(3600)
    # The ingest adds a paper: the index job runs although its day is not over.
    assert [o.name for o in worker.run_due()] == ["ingest", "index"]
    clock.sleep(3600)
    assert [o.name for o in worker.run_due()] == ["ingest"]  # nothing changed
    assert (ingest.calls, follower.calls) == (3, 2)
