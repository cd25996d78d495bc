"""The jobs the CLI and the worker share, and how each run is recorded.

One function per job, called by its CLI command and by the worker job of the same
kind alike (as Miniflux's one ``RefreshFeed`` serves its API, CLI, UI and worker), so
the two never drift apart: ``oai_job`` (``paperwire ingest oai``, worker ``oai``),
``announcements_job`` (``paperwire ingest announcements``, worker ``announcements``),
``search.index.index_job`` (``paperwire index``, worker ``index``), and the code
signals' ``signals.github.refresh_github`` (``paperwire ingest github``, worker
``github``) and ``signals.hub.refresh_hub`` (``paperwire ingest hub``, worker ``hub``).

Every ingest, from the CLI or the worker, runs through ``run_source`` so each
source's last run, last success, counts and last error are recorded (``GET /status``)
under the same name.

Jobs are idempotent (a rerun changes no counts), which is what makes it safe to run
them from cron, from ``paperwire worker``, or from a PostgreSQL-backed queue shared by
several workers: paperwire has no queue of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

from paperwire.ingest.announcements import AnnouncementReport, ingest_announcements
from paperwire.ingest.arxiv_oai import HarvestReport, OaiClient, harvest_oai
from paperwire.ingest.http import HttpClient
from paperwire.ingest.polite import PoliteFetcher
from paperwire.models import UpsertCounts
from paperwire.progress import Progress
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.config import Settings

MAX_ERROR_CHARS = 4000


class SourceReport(Protocol):
    """What every ingest returns: counts, and the problems it reported and skipped."""

    @property
    def counts(self) -> UpsertCounts: ...

    @property
    def errors(self) -> list[str]: ...


R = TypeVar("R", bound=SourceReport)


def utc_now() -> datetime:
    return datetime.now(UTC)


def error_text(errors: list[str]) -> str | None:
    if not errors:
        return None
    text = "; ".join(errors)
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def run_source(
    store: Store,
    source: str,
    work: Callable[[], R],
    *,
    clock: Callable[[], datetime] = utc_now,
) -> R:
    """Run ``work`` as one run of ``source``. A run that reports errors, or raises, is
    recorded as failed with its error (and the exception is re-raised); counts of
    what did get stored are kept either way."""
    store.start_source_run(source, started_at=clock())
    try:
        report = work()
    except BaseException as exc:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if isinstance(exc, KeyboardInterrupt):
            message = "interrupted"
        store.finish_source_run(
            source, finished_at=clock(), counts=UpsertCounts(), error=message[:MAX_ERROR_CHARS]
        )
        raise
    store.finish_source_run(
        source, finished_at=clock(), counts=report.counts, error=error_text(report.errors)
    )
    return report


def oai_source(set_spec: str | None) -> str:
    """The name a harvest of ``set_spec`` is recorded under: ``oai:cs``, or ``oai:all``
    for a harvest of every set."""
    return f"oai:{set_spec or 'all'}"


def oai_job(
    store: Store,
    settings: Settings,
    http: HttpClient,
    *,
    set_spec: str | None,
    from_date: date | None = None,
    until: date | None = None,
    prefix: str = "arXiv",
    on_progress: Progress | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> HarvestReport:
    """Harvest one OAI-PMH set. Without ``from_date`` it resumes an interrupted harvest
    or continues where the last complete one got; the first harvest of a set starts
    ``PAPERWIRE_WORKER_OAI_FIRST_DAYS`` back, never at the beginning of arXiv (give
    ``from_date`` for more)."""
    return harvest_oai(
        store,
        OaiClient.from_settings(settings, http),
        set_spec=set_spec,
        from_date=from_date,
        until=until,
        prefix=prefix,
        first_from=clock().date() - timedelta(days=settings.worker_oai_first_days),
        on_progress=on_progress,
    )


def announcements_fetcher(settings: Settings, http: HttpClient) -> PoliteFetcher:
    """The fetcher of ``announcements_job``; the worker keeps one, so the spacing of
    ``PAPERWIRE_ANNOUNCEMENTS_DELAY`` holds from one run to the next too."""
    return PoliteFetcher.from_settings(settings, http, delay=settings.announcements_delay)


def announcements_job(
    store: Store,
    settings: Settings,
    fetcher: PoliteFetcher,
    categories: Iterable[str],
    *,
    on_progress: Progress | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> AnnouncementReport:
    """Fetch and store today's listing of each category from
    ``PAPERWIRE_ANNOUNCEMENTS_URL``."""
    return ingest_announcements(
        store, fetcher, categories, base_url=settings.announcements_url, clock=clock,
        on_progress=on_progress,
    )
