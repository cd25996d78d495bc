"""``ImportReport``: what every import says it did, the base of each source's report.

Every importer reports the same way, so the CLI prints them with one function and
``run_source`` records them alike:

- ``counts``: added, updated, unchanged and failed papers;
- ``errors``: each problem with where it was (``FILE:LINE``, or the URL and record id).
  A bad record (``add_error``) is counted in ``error_count``, but only the first
  ``max_reported`` are listed, so a file of a million bad lines does not print a
  million; something that ended a file, feed or run early (``add_stop``) is always
  listed, and also kept in ``stops``;
- ``notes``: what went as it should but is worth saying (a resumed harvest, deletions);
- ``ok``: nothing went wrong, which is what the exit code says (0 or 1).

A source adds its own figures by extending ``details``, which go into ``as_dict``
(the ``--json`` summary) after the common keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from paperwire.models import UpsertCounts

MAX_REPORTED_ERRORS = 20  # listed; all are counted


@dataclass(slots=True, kw_only=True)
class ImportReport:
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0  # every problem, listed or not
    stops: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    max_reported: int = MAX_REPORTED_ERRORS
    _listed: int = field(default=0, init=False, repr=False)  # record errors in ``errors``

    # What the records this source skips are called, for "… and N more <these>".
    skipped: ClassVar[str] = "bad records"

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, message: str, *, failed: int = 1) -> None:
        """A record left out (counted as ``failed``; ``failed=0`` for one that another
        count already holds)."""
        self.error_count += 1
        self.counts += UpsertCounts(failed=failed)
        if self._listed < self.max_reported:
            self._listed += 1
            self.errors.append(message)

    def add_stop(self, message: str, *, failed: int = 0) -> None:
        """A file, feed or run that ended early, keeping what came before; always
        listed (and ``failed`` counts what it cost, if that is known)."""
        self.error_count += 1
        self.counts += UpsertCounts(failed=failed)
        self.stops.append(message)
        self.errors.append(message)

    def details(self) -> dict[str, object]:
        """This source's own figures for ``as_dict``."""
        return {}

    def as_dict(self) -> dict[str, object]:
        errors = list(self.errors)
        hidden = self.error_count - len(self.errors)
        if hidden > 0:
            errors.append(f"… and {hidden} more {self.skipped} (all counted as failed)")
        return {
            **self.counts.as_dict(),
            "error_count": self.error_count,
            "errors": errors,
            "notes": list(self.notes),
            **self.details(),
        }
