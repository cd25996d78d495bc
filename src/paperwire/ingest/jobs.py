"""Every ingest, from the CLI or the worker, runs through ``run_source`` so each
source's last run, last success, counts and last error are recorded (``GET /status``).

Jobs are idempotent (a rerun changes no counts), which is what makes it safe to run
them from cron, from ``paperwire worker``, or from a PostgreSQL-backed queue shared by
several workers: paperwire has no queue of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from paperwire.models import UpsertCounts
from paperwire.store.base import Store

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
