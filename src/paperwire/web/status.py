"""JSON status of the service: ``GET /healthz`` (alive, and how many papers), and
``GET /status``: each ingestion source's last run, last success, counts and last
error, the last digest sends and their outbox, and the latest announcement days per
category."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query

from paperwire.browse.periods import days_before
from paperwire.models import FREQUENCIES, AnnouncementDay, SourceRun
from paperwire.redact import redact_secrets
from paperwire.store import Store
from paperwire.web.deps import StoreDep
from paperwire.web.routing import json_router

router = json_router()


@router.get("/healthz")
def healthz(store: StoreDep) -> dict[str, Any]:
    return {"status": "ok", "papers": store.count_papers()}


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def source_run_json(run: SourceRun) -> dict[str, Any]:
    return {
        "source": run.source,
        "status": run.status,
        "last_started": _when(run.last_started),
        "last_finished": _when(run.last_finished),
        "last_success": _when(run.last_success),
        "last_failure": _when(run.last_failure),
        "counts": run.counts.as_dict(),
        # Errors quote the URLs that failed, which can carry credentials.
        "last_error": redact_secrets(run.last_error) if run.last_error else run.last_error,
        "runs": run.runs,
    }


def signals_json(store: Store) -> dict[str, Any]:
    """GitHub and the Hugging Face Hub: each one's last run (its ``last_error`` says when
    the service could not be reached), a wait a rate limit asked for, and how far the
    signals got (repositories by status; papers looked up on the Hub)."""
    out: dict[str, Any] = {}
    for source in ("github", "hub"):
        run = store.get_source_run(source)
        pause = store.signal_pause(source)
        out[source] = {
            "last_run": None if run is None else source_run_json(run),
            "paused_until": _when(pause.resume_at) if pause else None,
            "pause_reason": pause.reason if pause else None,
        }
    out["github"]["repositories"] = store.count_repositories()
    out["hub"]["papers_checked"] = store.count_hub_checked()
    return out


def digests_json(store: Store) -> dict[str, Any]:
    """Per frequency: the last send (recorded as ``digest:<frequency>``; its counts
    as sent, skipped, failed) and where the newest period's outbox rows stand."""
    out: dict[str, Any] = {}
    for frequency in FREQUENCIES:
        run = store.get_source_run(f"digest:{frequency}")
        period = store.latest_digest_period(frequency)
        out[frequency] = {
            "last_run": None
            if run is None
            else {
                **source_run_json(run),
                "sent": run.counts.added,
                "skipped": run.counts.unchanged,
                "failed": run.counts.failed,
            },
            "period": period,
            "outbox": store.outbox_counts(period) if period else None,
        }
    return out


def days_json(rows: list[AnnouncementDay]) -> list[dict[str, Any]]:
    """Rows grouped by day, newest first; a day is 'announced' if any category was."""
    by_day: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = by_day.setdefault(row.day.isoformat(), {"day": row.day.isoformat(), "status": "none", "categories": {}})
        if row.status == "announced":
            entry["status"] = "announced"
        entry["categories"][row.category] = {
            "status": row.status,
            "papers": row.papers,
            "fetched_at": _when(row.fetched_at),
        }
    return list(by_day.values())


@router.get("/status")
def get_status(
    store: StoreDep,
    days: Annotated[int, Query(ge=1, le=60, description="How many recent announcement days to show.")] = 7,
) -> dict[str, Any]:
    latest = store.announcement_days(limit=1)
    rows: list[AnnouncementDay] = []
    if latest:
        since = days_before(latest[0].day, days - 1)
        rows = store.announcement_days(since=since, limit=days * 200)
    return {
        "sources": [source_run_json(run) for run in store.source_runs()],
        "digests": digests_json(store),
        "signals": signals_json(store),
        "announcements": {
            "latest_day": latest[0].day.isoformat() if latest else None,
            "days": days_json(rows),
        },
    }
