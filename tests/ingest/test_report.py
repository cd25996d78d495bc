"""The one report every importer returns (``ingest/report.py``): what is counted, what
is listed, what the exit code says."""

from __future__ import annotations

import pytest

from paperwire.ingest.announcements import AnnouncementReport
from paperwire.ingest.arxiv_oai import HarvestReport
from paperwire.ingest.medline import MedlineReport
from paperwire.ingest.report import ImportReport
from paperwire.ingest.snapshot import SnapshotReport
from paperwire.models import UpsertCounts

COMMON = {"added", "updated", "unchanged", "failed", "error_count", "errors", "notes"}


def test_bad_records_are_all_counted_but_only_the_first_listed() -> None:
    report = ImportReport(max_reported=3)
    for n in range(1, 8):
        report.add_error(f"f.json:{n}: no title")
    assert report.error_count == 7 and report.counts == UpsertCounts(failed=7)
    assert report.errors == ["f.json:1: no title", "f.json:2: no title", "f.json:3: no title"]
    shown = report.as_dict()["errors"]
    assert isinstance(shown, list) and shown[-1] == "… and 4 more bad records (all counted as failed)"
    assert not report.ok


def test_a_stop_is_listed_past_the_cap_and_fails_the_run() -> None:
    report = ImportReport(max_reported=1)
    report.add_error("a.xml:3: no PMID")
    report.add_error("a.xml:9: no PMID")
    report.add_stop("b.xml.gz: truncated")
    assert report.errors == ["a.xml:3: no PMID", "b.xml.gz: truncated"]
    assert report.stops == ["b.xml.gz: truncated"]
    assert report.error_count == 3 and report.counts.failed == 2  # a stop fails no record by itself
    assert not report.ok
    assert ImportReport().ok


def test_a_note_is_no_failure() -> None:
    report = ImportReport()
    report.notes.append("resuming at page 2")
    assert report.ok and report.as_dict()["notes"] == ["resuming at page 2"]


@pytest.mark.parametrize(
    "report",
    [
        ImportReport(),
        SnapshotReport(),
        MedlineReport(),
        AnnouncementReport(),
        HarvestReport("cs", "arXiv", completed=True),
    ],
    ids=lambda r: type(r).__name__,
)
def test_every_report_has_the_common_summary(report: ImportReport) -> None:
    summary = report.as_dict()
    assert COMMON <= set(summary)
    report.add_error("x:1: bad")
    assert not report.ok and report.as_dict()["error_count"] == 1


def test_a_harvest_that_did_not_finish_is_not_ok() -> None:
    assert not HarvestReport("cs", "arXiv").ok  # neither completed nor at its page limit
    assert HarvestReport("cs", "arXiv", stopped_at_page_limit=True).ok
