"""``paperwire worker``: run the configured ingestion and indexing jobs on a schedule.

The schedule comes from ``PAPERWIRE_WORKER_SOURCES``, entries separated by ``;``::

    announcements:cs.CV,cs.LG@1h; announcements:math.AG@6h; github@6h; hub@1d

``kind[:arguments][@interval]``; the interval is ``N`` + ``s``/``m``/``h``/``d``
(default ``PAPERWIRE_WORKER_INTERVAL``). Each job kind runs the same function as its
CLI command (``ingest.jobs``: ``announcements_job``, ``oai_job``; ``index_job``;
``signals``: ``refresh_github``, ``refresh_hub``, whose optional argument is the most
entries a run checks, ``github:500@6h``) and is
recorded by ``ingest.jobs.run_source`` under the same name, so its runs show in
``GET /status``; a job is due when its source's last start is older than its interval,
so a restarted worker (or cron with ``--once``) does not rerun what just ran, nor what
the CLI just ran.

Instead of an interval, ``@HH:MM`` runs a job once a day at that time (UTC) and
``@<weekday> HH:MM`` (``mon`` … ``sun``) once a week; a job is due at the first such
time after its last start (or, never run, after the worker started)::

    digest:daily@06:30; digest:weekly@fri 18:00

``digest:daily`` / ``digest:weekly`` (``digest:daily,weekly`` makes both) send the
email digests (``digest.send.digest_job``, like ``paperwire digest send``); a digest
job also runs when outbox rows wait for a retry (a refused or unreachable server), at
most every ``DIGEST_RETRY_GAP``.

On SQLite run one worker. Jobs are idempotent, so on PostgreSQL they could go through a
PostgreSQL-backed queue (e.g. procrastinate) to spread them over several workers;
paperwire builds no queue of its own.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from paperwire.config import Settings
from paperwire.ingest.http import HttpClient
from paperwire.ingest.jobs import (
    SourceReport,
    announcements_fetcher,
    announcements_job,
    oai_job,
    oai_source,
    run_source,
    utc_now,
)
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.search.embed import Embedder

log = logging.getLogger("paperwire.worker")

_INTERVAL = re.compile(r"^(?P<n>\d+)\s*(?P<unit>[smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_KIND = re.compile(r"^[a-z][a-z0-9_-]*$")
_AT = re.compile(r"^(?:(?P<weekday>[a-z]{3})\s+)?(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A digest job with rows waiting for a retry runs again at most this often.
DIGEST_RETRY_GAP = timedelta(minutes=5)


class ScheduleError(ValueError):
    """A schedule entry that cannot be understood; the message quotes it."""


@dataclass(frozen=True, slots=True)
class TimeOfWeek:
    """``@06:30`` (every day) or ``@fri 18:00`` (every Friday), in UTC."""

    hour: int
    minute: int
    weekday: int | None = None  # 0 = Monday; None = every day

    def next_after(self, moment: datetime) -> datetime:
        """The first scheduled moment strictly after ``moment``."""
        moment = moment.astimezone(UTC)
        at = moment.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        if self.weekday is None:
            return at if at > moment else at + timedelta(days=1)
        at += timedelta(days=(self.weekday - moment.weekday()) % 7)
        return at if at > moment else at + timedelta(days=7)


@dataclass(frozen=True, slots=True)
class JobSpec:
    kind: str
    args: tuple[str, ...]
    every: timedelta
    at: TimeOfWeek | None = None


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Store], SourceReport]
    # Also run right after any job that added or updated papers (e.g. ``index``), so
    # new papers become searchable without waiting for the interval.
    follows_ingest: bool = False
    at: TimeOfWeek | None = None  # run at this time instead of every ``every``
    # When the job itself has work waiting (a digest's retries), or None.
    wants_run: Callable[[Store], datetime | None] | None = None


@dataclass(frozen=True, slots=True)
class JobOutcome:
    name: str
    ok: bool
    error: str | None = None
    changed: int = 0  # papers added or updated


def parse_interval(text: str, *, where: str = "interval") -> timedelta:
    m = _INTERVAL.fullmatch(text.strip())
    if not m or int(m["n"]) <= 0:
        raise ScheduleError(f"{where}: {text!r} is not an interval like 30m, 1h or 1d")
    return timedelta(**{_UNITS[m["unit"]]: int(m["n"])})


def parse_time_of_week(text: str, *, where: str = "time") -> TimeOfWeek | None:
    """``HH:MM`` or ``<weekday> HH:MM`` → a time of the week; None when ``text`` is
    not written like a time at all (then it is an interval)."""
    m = _AT.fullmatch(text.strip().lower())
    if not m:
        return None
    hour, minute, day = int(m["hour"]), int(m["minute"]), m["weekday"]
    if hour > 23 or minute > 59 or (day is not None and day not in WEEKDAYS):
        raise ScheduleError(
            f"{where}: {text!r} is not a time like 06:30 or fri 18:00 (UTC, weekdays mon..sun)"
        )
    return TimeOfWeek(hour, minute, WEEKDAYS.index(day) if day else None)


def parse_schedule(text: str, *, default_every: timedelta, where: str = "PAPERWIRE_WORKER_SOURCES") -> list[JobSpec]:
    """``kind[:a,b][@every]; …`` → job specs; a bad entry raises naming it."""
    specs: list[JobSpec] = []
    for raw in text.split(";"):
        entry = raw.strip()
        if not entry:
            continue
        body, _, every_text = entry.partition("@")
        kind, _, args_text = body.strip().partition(":")
        kind = kind.strip()
        if not _KIND.fullmatch(kind):
            raise ScheduleError(f"{where}: entry {entry!r} does not start with a job kind")
        args = tuple(a.strip() for a in args_text.split(",") if a.strip())
        at = parse_time_of_week(every_text, where=f"{where} entry {entry!r}") if every_text else None
        if at is not None:
            every = timedelta(days=1 if at.weekday is None else 7)
        else:
            every = parse_interval(every_text, where=f"{where} entry {entry!r}") if every_text else default_every
        specs.append(JobSpec(kind=kind, args=args, every=every, at=at))
    return specs


class Worker:
    """Runs due jobs; ``stop()`` (from a signal handler) ends it between jobs.

    ``clock`` and ``sleep`` are injected so tests drive time without waiting; the
    default sleep wakes up early when the worker is stopped.
    """

    def __init__(
        self,
        store: Store,
        jobs: Sequence[Job],
        *,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], object] | None = None,
        max_sleep: float = 60.0,
    ) -> None:
        self.store = store
        self.jobs = list(jobs)
        self.clock = clock
        self.started = clock()
        self._stopping = threading.Event()
        self.sleep = sleep if sleep is not None else self._stopping.wait
        self.max_sleep = max_sleep

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()

    def next_due(self, job: Job) -> datetime | None:
        """When ``job`` is due next; None = now (never ran). A job with a time of the
        week is due at its first time after its last start (never run: after the
        worker started); a job with work waiting (``wants_run``) is due then too."""
        run = self.store.get_source_run(job.name)
        last = run.last_started if run is not None else None
        due: datetime | None
        if job.at is not None:
            due = job.at.next_after(last or self.started)
        else:
            due = None if last is None else last + job.every
        if due is not None and job.wants_run is not None:
            waiting = job.wants_run(self.store)
            if waiting is not None:
                due = min(due, waiting)
        return due

    def due_jobs(self, now: datetime) -> list[Job]:
        due = []
        for job in self.jobs:
            at = self.next_due(job)
            if at is None or at <= now:
                due.append(job)
        return due

    def run_job(self, job: Job) -> JobOutcome:
        """One job; whatever it raises is recorded (by ``run_source``) and logged, never
        propagated, so the other jobs still run."""
        try:
            report = run_source(self.store, job.name, lambda: job.run(self.store), clock=self.clock)
        except Exception as exc:  # a job's failure must not stop the worker
            log.error("job %s failed: %s: %s", job.name, type(exc).__name__, exc)
            return JobOutcome(job.name, ok=False, error=f"{type(exc).__name__}: {exc}")
        changed = report.counts.added + report.counts.updated
        if report.errors:
            for err in report.errors:
                log.error("job %s: %s", job.name, err)
            return JobOutcome(job.name, ok=False, error="; ".join(report.errors), changed=changed)
        log.info("job %s: %s", job.name, report.counts.as_dict())
        return JobOutcome(job.name, ok=True, changed=changed)

    def run_due(self, *, force: bool = False) -> list[JobOutcome]:
        """Run the due jobs, ingest jobs first; a ``follows_ingest`` job also runs when
        one of them changed papers."""
        due = {job.name for job in (self.jobs if force else self.due_jobs(self.clock()))}
        ordered = [j for j in self.jobs if not j.follows_ingest] + [j for j in self.jobs if j.follows_ingest]
        outcomes = []
        papers_changed = False
        for job in ordered:
            if self.stopping:
                break
            if job.name not in due and not (job.follows_ingest and papers_changed):
                continue
            outcome = self.run_job(job)
            papers_changed = papers_changed or outcome.changed > 0
            outcomes.append(outcome)
        return outcomes

    def seconds_until_next(self) -> float:
        now = self.clock()
        waits = []
        for job in self.jobs:
            at = self.next_due(job)
            waits.append(0.0 if at is None else max(0.0, (at - now).total_seconds()))
        return min([self.max_sleep, *waits]) if waits else self.max_sleep

    def run_forever(self) -> None:
        while not self.stopping:
            self.run_due()
            if self.stopping:
                break
            self.sleep(max(1.0, self.seconds_until_next()))


def _announcements_jobs(
    spec: JobSpec, *, settings: Settings, client: HttpClient, clock: Callable[[], datetime]
) -> list[Job]:
    """One job for all the categories, recorded as ``announcements`` like the CLI.
    Its fetcher is built once, so the spacing holds from one run to the next too."""
    if not spec.args:
        raise ScheduleError("PAPERWIRE_WORKER_SOURCES: 'announcements' needs categories, e.g. announcements:cs.CV,cs.LG@1h")
    categories = list(spec.args)
    fetcher = announcements_fetcher(settings, client)

    def run(store: Store) -> SourceReport:
        return announcements_job(store, settings, fetcher, categories, clock=clock)

    return [Job(name="announcements", every=spec.every, run=run)]


def _oai_jobs(
    spec: JobSpec, *, settings: Settings, client: HttpClient, clock: Callable[[], datetime]
) -> list[Job]:
    """One job per OAI set, recorded as ``oai:<set>`` like ``paperwire ingest oai --set``
    (``oai_job`` says where each run starts)."""
    if not spec.args:
        raise ScheduleError("PAPERWIRE_WORKER_SOURCES: 'oai' needs sets, e.g. oai:cs,math@1d")

    def job_for(set_spec: str) -> Job:
        def run(store: Store) -> SourceReport:
            return oai_job(store, settings, client, set_spec=set_spec, clock=clock)

        return Job(name=oai_source(set_spec), every=spec.every, run=run)

    return [job_for(set_spec) for set_spec in spec.args]


def _signal_limit(spec: JobSpec, default: int) -> int:
    """``github:500@6h``: at most 500 entries a run (default ``default``)."""
    if not spec.args:
        return default
    if len(spec.args) > 1 or not (spec.args[0].isascii() and spec.args[0].isdigit()):
        raise ScheduleError(
            f"PAPERWIRE_WORKER_SOURCES: '{spec.kind}' takes one number, the most entries a run "
            f"checks (e.g. {spec.kind}:500@6h); got {','.join(spec.args)[:60]!r}"
        )
    return max(1, int(spec.args[0]))


def _github_jobs(
    spec: JobSpec, *, settings: Settings, client: HttpClient, clock: Callable[[], datetime]
) -> list[Job]:
    """``refresh_github``, like ``paperwire ingest github``, recorded as ``github``."""
    from paperwire.signals import GITHUB_MAX_DEFAULT
    from paperwire.signals.github import GithubApi, refresh_github

    limit = _signal_limit(spec, GITHUB_MAX_DEFAULT)
    api = GithubApi.from_settings(settings, client)

    def run(store: Store) -> SourceReport:
        return refresh_github(store, api, limit=limit, clock=clock)

    return [Job(name="github", every=spec.every, run=run)]


def _hub_jobs(
    spec: JobSpec, *, settings: Settings, client: HttpClient, clock: Callable[[], datetime]
) -> list[Job]:
    """``refresh_hub``, like ``paperwire ingest hub``, recorded as ``hub``."""
    from paperwire.signals import HUB_MAX_DEFAULT
    from paperwire.signals.hub import HubApi, refresh_hub

    limit = _signal_limit(spec, HUB_MAX_DEFAULT)
    api = HubApi.from_settings(settings, client)

    def run(store: Store) -> SourceReport:
        return refresh_hub(store, api, limit=limit, clock=clock)

    return [Job(name="hub", every=spec.every, run=run)]


def _index_jobs(
    spec: JobSpec, *, settings: Settings, client: HttpClient, clock: Callable[[], datetime]
) -> list[Job]:
    """``index_job``, like ``paperwire index``; also runs right after an ingest job that
    changed papers. The embedder is built on first use and kept."""
    built: list[Embedder] = []

    def run(store: Store) -> SourceReport:
        from paperwire.search.embedders import build_embedder
        from paperwire.search.index import index_job

        if not built:
            built.append(build_embedder(settings))
        return index_job(store, built[0], settings)

    return [Job(name="index", every=spec.every, run=run, follows_ingest=True)]


def _digest_jobs(
    spec: JobSpec, *, settings: Settings, client: HttpClient, clock: Callable[[], datetime]
) -> list[Job]:
    """``digest_job`` per frequency (``digest:daily``, ``digest:weekly``), like
    ``paperwire digest send``; the mailer and the saved-search embedder are built once."""
    from paperwire.digest.mailer import build_mailer
    from paperwire.digest.send import digest_job, saved_search_engine, source_name

    frequencies = spec.args or ()
    unknown = [f for f in frequencies if f not in ("daily", "weekly")]
    if not frequencies or unknown:
        raise ScheduleError(
            "PAPERWIRE_WORKER_SOURCES: 'digest' needs daily and/or weekly, e.g. "
            f"digest:daily@06:30; got {','.join(frequencies)[:60]!r}"
        )
    mailer = build_mailer(settings)
    engines: list[tuple[Any, Any]] = []

    def job_for(frequency: str) -> Job:
        name = source_name(frequency)

        def run(store: Store) -> SourceReport:
            if not engines:
                engines.append(saved_search_engine(store, settings))
            return digest_job(
                store, settings, frequency, mailer=mailer, clock=clock, search=engines[0]
            )

        def wants_run(store: Store) -> datetime | None:
            waiting = store.next_digest_attempt(frequency)
            last = store.get_source_run(name)
            if waiting is None or last is None or last.last_started is None:
                return None
            return max(waiting, last.last_started + DIGEST_RETRY_GAP)

        return Job(name=name, every=spec.every, run=run, wants_run=wants_run)

    return [job_for(f) for f in dict.fromkeys(frequencies)]


JobBuilder = Callable[..., list[Job]]
JOB_KINDS: dict[str, JobBuilder] = {
    "announcements": _announcements_jobs,
    "oai": _oai_jobs,
    "github": _github_jobs,
    "hub": _hub_jobs,
    "index": _index_jobs,
    "digest": _digest_jobs,
}


def build_jobs(
    specs: Sequence[JobSpec],
    *,
    settings: Settings,
    client: HttpClient,
    clock: Callable[[], datetime] = utc_now,
) -> list[Job]:
    jobs = []
    for spec in specs:
        builder = JOB_KINDS.get(spec.kind)
        if builder is None:
            raise ScheduleError(
                f"PAPERWIRE_WORKER_SOURCES: unknown job kind {spec.kind!r} (known: {', '.join(sorted(JOB_KINDS))})"
            )
        built = builder(spec, settings=settings, client=client, clock=clock)
        if spec.at is not None:
            built = [replace(job, at=spec.at) for job in built]
        jobs.extend(built)
    names = [job.name for job in jobs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScheduleError(
            f"PAPERWIRE_WORKER_SOURCES: more than one job named {', '.join(duplicates)}; "
            "list all its arguments in one entry"
        )
    return jobs


def jobs_from_settings(
    settings: Settings, *, client: HttpClient, clock: Callable[[], datetime] = utc_now
) -> list[Job]:
    default_every = parse_interval(settings.worker_interval, where="PAPERWIRE_WORKER_INTERVAL")
    specs = parse_schedule(settings.worker_sources, default_every=default_every)
    return build_jobs(specs, settings=settings, client=client, clock=clock)
