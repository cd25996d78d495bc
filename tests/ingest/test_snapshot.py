"""Importing the arXiv metadata snapshot: good lines, bad lines, cut files, reruns."""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.ingest.snapshot import import_snapshot
from paperwire.ingest.snapshot_convert import _squash, parse_created, record_to_paper
from paperwire.ingest.snapshot_pipeline import line_chunks, span_chunks
from paperwire.models import UpsertCounts
from paperwire.store import Store

# The first line of the real snapshot, in its exact shape (abstract shortened).
FIRST = {
    "id": "0704.0001",
    "submitter": "Pavel Nadolsky",
    "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
    "title": "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies",
    "comments": "37 pages, 15 figures; published version",
    "journal-ref": "Phys.Rev.D76:013009,2007",
    "doi": "10.1103/PhysRevD.76.013009",
    "report-no": "ANL-HEP-PR-07-12",
    "categories": "hep-ph",
    "license": None,
    "abstract": "  A fully differential calculation in perturbative quantum chromodynamics is\npresented for the production of massive photon pairs at hadron colliders.\n",
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ],
    "update_date": "2008-11-13",
    "authors_parsed": [
        ["Balázs", "C.", ""],
        ["Berger", "E. L.", ""],
        ["Nadolsky", "P. M.", ""],
        ["Yuan", "C. -P.", ""],
    ],
}


def record(i: int, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": f"2101.{i:05d}",
        "submitter": "Ada Lovelace",
        "authors": "Ada Lovelace and Alan Turing",
        "title": f"Paper number {i}",
        "comments": f"8 pages. Code: https://github.com/lab/paper-{i}" if i % 2 else None,
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": "cs.LG stat.ML",
        "license": "http://creativecommons.org/licenses/by/4.0/",
        "abstract": f"  We study problem {i}.\nIt is hard.\n",
        "versions": [{"version": "v1", "created": "Fri, 1 Jan 2021 10:00:00 GMT"}],
        "update_date": "2021-01-04",
        "authors_parsed": [["Lovelace", "Ada", ""], ["Turing", "Alan", ""]],
    }
    base.update(kw)
    return base


def write_lines(path: Path, lines: list[str], *, gz: bool = False) -> Path:
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_truncated_gzip(path: Path, lines: list[str], *, keep: float) -> bytes:
    """Write ``lines`` gzip-compressed, cut off after the fraction ``keep`` of the
    compressed bytes, as an interrupted download leaves it; returns what was written."""
    whole = gzip.compress(("\n".join(lines) + "\n").encode())
    cut = whole[: int(len(whole) * keep)]
    path.write_bytes(cut)
    return cut


def good_lines(n: int) -> list[str]:
    return [json.dumps(FIRST)] + [json.dumps(record(i)) for i in range(1, n)]


def test_record_fields() -> None:
    paper = record_to_paper(FIRST, where="x:1")
    assert paper.id == "0704.0001" and paper.version == 2
    assert paper.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert paper.abstract.startswith("A fully differential calculation in perturbative")
    assert paper.abstract.endswith("hadron colliders.")
    assert [a.name for a in paper.authors] == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert paper.authors[0].family == "Balázs" and paper.authors[0].given == "C."
    assert paper.categories == ["hep-ph"]
    assert paper.submitted == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert paper.updated == datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert paper.doi == "10.1103/PhysRevD.76.013009"
    assert paper.journal_ref == "Phys.Rev.D76:013009,2007"
    assert paper.comments == "37 pages, 15 figures; published version"
    assert paper.license is None and paper.source == "arxiv"
    kinds = [link.kind for link in paper.links]
    assert kinds == ["abs", "pdf", "doi"]


def test_old_style_id_and_authors_without_parsed_form() -> None:
    rec = record(1, id="hep-th/9901001", authors_parsed=None, authors="A. One, B. Two and C. Three")
    paper = record_to_paper(rec, where="x:1")
    assert paper.id == "hep-th/9901001"
    assert [a.name for a in paper.authors] == ["A. One", "B. Two", "C. Three"]
    assert paper.has_code and paper.code_links[0].url == "https://github.com/lab/paper-1"


def test_parse_created_fast_and_fallback() -> None:
    assert parse_created("Mon, 2 Apr 2007 19:18:42 GMT") == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert parse_created("2 Apr 2007 19:18:42 +0000") == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    with pytest.raises(ValueError, match="unreadable date"):
        parse_created("yesterday")


def test_imports_a_good_file_in_batches(store: Store, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "snap.json", good_lines(25))
    seen: list[int] = []
    report = import_snapshot(store, path, batch_size=10, on_progress=seen.append, chunk_bytes=2000)
    assert report.ok and report.errors == []
    assert report.counts == UpsertCounts(added=25)
    assert report.lines == 25
    assert store.count_papers() == 25
    # increments of the bytes read, as every importer reports progress (progress.py)
    assert all(n > 0 for n in seen) and sum(seen) == path.stat().st_size and len(seen) >= 3
    got = store.get_paper("0704.0001")
    assert got is not None and got.version == 2 and got.doi == "10.1103/PhysRevD.76.013009"


def test_rerun_changes_nothing_and_a_new_version_updates(store: Store, tmp_path: Path) -> None:
    lines = good_lines(12)
    path = write_lines(tmp_path / "snap.jsonl.gz", lines, gz=True)
    assert import_snapshot(store, path, batch_size=5).counts == UpsertCounts(added=12)
    assert import_snapshot(store, path, batch_size=5).counts == UpsertCounts(unchanged=12)
    assert store.count_papers() == 12
    newer = record(3, versions=[
        {"version": "v1", "created": "Fri, 1 Jan 2021 10:00:00 GMT"},
        {"version": "v2", "created": "Mon, 1 Feb 2021 10:00:00 GMT"},
    ], title="Paper number 3, revised")
    write_lines(path, [*lines, json.dumps(newer)], gz=True)
    report = import_snapshot(store, path, batch_size=5)
    assert report.counts == UpsertCounts(updated=1, unchanged=12)
    got = store.get_paper("2101.00003")
    assert got is not None and got.version == 2 and got.title.endswith("revised")


def test_malformed_lines_are_reported_by_number_and_skipped(store: Store, tmp_path: Path) -> None:
    lines = good_lines(6)
    lines.insert(1, "{not json")  # line 2
    lines.insert(3, json.dumps(record(50, title="  ")))  # line 4: no title
    lines.insert(4, json.dumps({"title": "no id"}))  # line 5
    lines.insert(5, json.dumps(record(51, id="not-an-id")))  # line 6
    lines.insert(6, "[1, 2, 3]")  # line 7
    lines.insert(7, "")  # line 8: blank lines are not records
    lines.insert(8, json.dumps(record(52, versions=[{"version": "v1", "created": "garbage"}])))  # line 9
    path = write_lines(tmp_path / "snap.json", lines)
    report = import_snapshot(store, path, batch_size=2)
    assert report.counts == UpsertCounts(added=6, failed=6)
    assert report.error_count == 6
    by_line = {e.split(": ", 1)[0]: e for e in report.errors}
    assert set(by_line) == {f"{path}:{n}" for n in (2, 4, 5, 6, 7, 9)}
    assert "invalid JSON" in by_line[f"{path}:2"]
    assert "has no title" in by_line[f"{path}:4"]
    assert "no id" in by_line[f"{path}:5"]
    assert "bad arXiv id" in by_line[f"{path}:6"] and "not-an-id" in by_line[f"{path}:6"]
    assert "expected a JSON object" in by_line[f"{path}:7"]
    assert "unreadable date" in by_line[f"{path}:9"]
    assert store.count_papers() == 6
    assert not report.ok


def test_error_list_is_capped_but_all_are_counted(sqlite_store: Store, tmp_path: Path) -> None:
    lines = ["{broken"] * 30 + good_lines(3)
    path = write_lines(tmp_path / "snap.json", lines)
    report = import_snapshot(sqlite_store, path, max_reported=5)
    assert report.error_count == 30 and len(report.errors) == 5
    assert report.counts == UpsertCounts(added=3, failed=30)
    shown = report.as_dict()["errors"]
    assert isinstance(shown, list) and "25 more bad lines" in shown[-1]


def test_truncated_gzip_keeps_what_was_read(store: Store, tmp_path: Path) -> None:
    lines = [json.dumps(record(i, abstract=f"Abstract {i} " + "x" * 2000)) for i in range(1, 200)]
    path = tmp_path / "cut.json.gz"
    readable = zlib.decompressobj(31).decompress(write_truncated_gzip(path, lines, keep=1 / 2))
    report = import_snapshot(store, path, batch_size=20)
    assert report.truncated is not None
    assert report.lines == readable.count(b"\n")  # every whole line before the cut
    assert f"{path}: truncated at line {report.lines + 1}" in report.truncated
    assert 0 < report.lines < 199
    assert store.count_papers() == report.counts.added > 0
    assert not report.ok
    assert report.as_dict()["truncated"] is True


def test_missing_file_is_reported(sqlite_store: Store, tmp_path: Path) -> None:
    report = import_snapshot(sqlite_store, tmp_path / "nope.json")
    assert not report.ok and "nope.json" in report.errors[0] and "cannot read" in report.errors[0]


def test_worker_processes_give_the_same_result(sqlite_store: Store, tmp_path: Path) -> None:
    """Converter processes (used for big files) keep file order, line numbers and counts."""
    lines = good_lines(40)
    lines.insert(5, "{bad json")  # line 6
    lines.insert(30, json.dumps(record(99, title="")))  # line 31
    path = write_lines(tmp_path / "snap.json.gz", lines, gz=True)
    report = import_snapshot(sqlite_store, path, batch_size=7, workers=2, chunk_bytes=3000)
    assert report.counts == UpsertCounts(added=40, failed=2)
    assert report.lines == 42
    assert [e.split(": ", 1)[0] for e in report.errors] == [f"{path}:6", f"{path}:31"]
    got = sqlite_store.get_paper("2101.00007")
    assert got is not None and got.has_code and got.authors[1].family == "Turing"
    again = import_snapshot(sqlite_store, path, workers=0, chunk_bytes=3000)
    assert again.counts == UpsertCounts(unchanged=40, failed=2)


def test_truncated_gzip_with_worker_processes(sqlite_store: Store, tmp_path: Path) -> None:
    lines = [json.dumps(record(i, abstract=f"Abstract {i} " + "y" * 1500)) for i in range(1, 300)]
    path = tmp_path / "cut.json.gz"
    write_truncated_gzip(path, lines, keep=3 / 4)
    report = import_snapshot(sqlite_store, path, workers=2, chunk_bytes=20_000)
    assert report.truncated is not None and f"truncated at line {report.lines + 1}" in report.truncated
    assert report.counts.added == report.lines == sqlite_store.count_papers() > 0


@given(
    st.lists(st.sampled_from([b"", b"{}", b"x" * 40, b'{"id": "2101.00001"}', b"  "]), max_size=40),
    st.booleans(),
    st.integers(min_value=1, max_value=120),
)
@settings(max_examples=200, deadline=None)
def test_spans_read_by_converters_hold_the_lines_line_chunks_yield(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], last_newline: bool, chunk: int
) -> None:
    # Converter processes read plain files themselves (spans); the lines and their
    # numbers must be exactly those the in-process reader yields.
    path = tmp_path_factory.mktemp("spans") / "snap.jsonl"
    path.write_bytes(b"\n".join(lines) + (b"\n" if last_newline and lines else b""))
    with path.open("rb") as fh:
        expected = [(first + i, line) for first, got in line_chunks(fh, chunk) for i, line in enumerate(got)]
    with path.open("rb") as fh:
        spans = list(span_chunks(fh, str(path), chunk))
    assert [(first + i, line) for first, span in spans for i, line in enumerate(span.read())] == expected
    assert all(len(span.read()) == span.count for _, span in spans)


@given(
    st.text(
        alphabet=st.sampled_from(
            list("ab .,\n\t\r\x0b\x0c\x1c\x1d\x1e\x1f\x01\x7f") + ["\u00a0", "\u2003", "é", "\u3000"]
        ),
        max_size=60,
    )
)
@settings(max_examples=500, deadline=None)
def test_whitespace_squashing_equals_split_and_join(text: str) -> None:
    # the fast path for the usual wrapped abstract must give what the general rule gives
    assert _squash(text) == " ".join(text.split())
