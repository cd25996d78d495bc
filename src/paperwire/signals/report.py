"""``SignalReport``: what a refresh of GitHub or Hub signals did, as every ingest
reports (``ingest/report.py``), so the CLI prints it and ``run_source`` records it
alike. Counts are of the entries checked (repositories, papers): ``added`` for a
first check, ``updated`` when something shown changed, ``unchanged`` otherwise,
``failed`` for an entry the remote side would not describe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from paperwire.ingest.report import ImportReport


@dataclass(slots=True, kw_only=True)
class SignalReport(ImportReport):
    requests: int = 0  # HTTP requests sent (retries included)
    not_modified: int = 0  # conditional requests answered 304
    paused_until: datetime | None = None  # the remote side asked us to wait until then

    skipped: ClassVar[str] = "entries left out"
    max_notes: ClassVar[int] = 20

    def add_note(self, note: str) -> None:
        """A note (a rename, a repository gone); past ``max_notes`` they are counted."""
        if len(self.notes) < self.max_notes:
            self.notes.append(note)
        elif len(self.notes) == self.max_notes:
            self.notes.append("… and more notes like these")

    def details(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "not_modified": self.not_modified,
            "paused_until": self.paused_until.isoformat() if self.paused_until else None,
        }
