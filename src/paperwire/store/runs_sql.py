"""Each ingestion source's runs: last run, last success, counts and last error, for
``GET /status``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from paperwire.models import SourceRun, UpsertCounts
from paperwire.store.codec import datetime_or_none
from paperwire.store.sql import Part


class RunStore(Protocol):
    """What the rest of paperwire may ask of this part of the store."""

    def start_source_run(self, source: str, *, started_at: datetime) -> None: ...

    def finish_source_run(
        self,
        source: str,
        *,
        finished_at: datetime,
        counts: UpsertCounts,
        error: str | None = None,
    ) -> None:
        """``error`` None means success: ``last_success`` moves; otherwise the run is
        ``failed`` and ``last_error`` holds the message. ``last_error`` is kept after a
        later success (with ``last_failure`` saying when) so operators can see it."""
        ...

    def get_source_run(self, source: str) -> SourceRun | None: ...

    def source_runs(self) -> list[SourceRun]: ...


def _row_to_run(row: dict[str, Any]) -> SourceRun:
    return SourceRun(
        source=row["source"],
        status=row["status"],
        last_started=datetime_or_none(row["last_started"]),
        last_finished=datetime_or_none(row["last_finished"]),
        last_success=datetime_or_none(row["last_success"]),
        last_failure=datetime_or_none(row["last_failure"]),
        counts=UpsertCounts(row["added"], row["updated"], row["unchanged"], row["failed"]),
        last_error=row["last_error"],
        runs=int(row["runs"]),
    )


class Runs(Part):
    """Source runs, written once for both backends."""

    def start_source_run(self, source: str, *, started_at: datetime) -> None:
        with self.connections.writing() as db:
            db.execute(
                "INSERT INTO source_runs (source, status, last_started, runs) VALUES (?, 'running', ?, 1) "
                "ON CONFLICT (source) DO UPDATE SET status = 'running', "
                "last_started = excluded.last_started, runs = source_runs.runs + 1",
                (source, started_at),
            )

    def finish_source_run(
        self,
        source: str,
        *,
        finished_at: datetime,
        counts: UpsertCounts,
        error: str | None = None,
    ) -> None:
        ok = error is None
        with self.connections.writing() as db:
            db.execute(
                "INSERT INTO source_runs (source, status, runs) VALUES (?, 'running', 1) "
                "ON CONFLICT (source) DO NOTHING",
                (source,),
            )
            db.execute(
                "UPDATE source_runs SET status = ?, last_finished = ?, "
                "added = ?, updated = ?, unchanged = ?, failed = ?, "
                "last_success = CASE WHEN ? = 1 THEN ? ELSE last_success END, "
                "last_failure = CASE WHEN ? = 1 THEN last_failure ELSE ? END, "
                "last_error = COALESCE(?, last_error) "
                "WHERE source = ?",
                (
                    "ok" if ok else "failed",
                    finished_at,
                    counts.added,
                    counts.updated,
                    counts.unchanged,
                    counts.failed,
                    int(ok),
                    finished_at,
                    int(ok),
                    finished_at,
                    error,
                    source,
                ),
            )

    def get_source_run(self, source: str) -> SourceRun | None:
        with self.connections.reading() as db:
            row = db.fetchone("SELECT * FROM source_runs WHERE source = ?", (source,))
        return _row_to_run(row) if row else None

    def source_runs(self) -> list[SourceRun]:
        with self.connections.reading() as db:
            rows = db.fetchall("SELECT * FROM source_runs ORDER BY source")
        return [_row_to_run(r) for r in rows]
