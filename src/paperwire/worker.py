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

On SQLite run one worker. Jobs are idempotent, so on PostgreSQL they could go through a
PostgreSQL-backed queue (e.g. procrastinate) to spread them over several workers;
paperwire builds no queue of its own.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

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


class ScheduleError(ValueError):
    """A schedule entry that cannot be understood; the message quotes it."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    kind: str
    args: tuple[str, ...]
    every: timedelta


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Store], SourceReport]
    # Also run right after any job that added or updated papers (e.g. ``index``), so
    # new papers become searchable without waiting for the interval.
    follows_ingest: bool = False


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
        every = parse_interval(every_text, where=f"{where} entry {entry!r}") if every_text else default_every
        specs.append(JobSpec(kind=kind, args=args, every=every))
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
        self._stopping = threading.Event()
        self.sleep = sleep if sleep is not None else self._stopping.wait
        self.max_sleep = max_sleep

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()

    def next_due(self, job: Job) -> datetime | None:
        """When ``job`` is due next; None = now (never ran)."""
        run = self.store.get_source_run(job.name)
        if run is None or run.last_started is None:
            return None
        return run.last_started + job.every

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


JobBuilder = Callable[..., list[Job]]
JOB_KINDS: dict[str, JobBuilder] = {
    "announcements": _announcements_jobs,
    "oai": _oai_jobs,
    "github": _github_jobs,
    "hub": _hub_jobs,
    "index": _index_jobs,
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
        jobs.extend(builder(spec, settings=settings, client=client, clock=clock))
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
