"""`paperwire ingest snapshot` / `ingest medline` end to end in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from paperwire.models import SourceRun
from paperwire.store import open_store
from tests.ingest.test_snapshot import good_lines, write_lines, write_truncated_gzip
from tests.test_cli import run


def test_snapshot_cli_reports_bad_lines_and_reruns_unchanged(sqlite_url: str, tmp_path: Path) -> None:
    lines = good_lines(8)
    lines.insert(2, "{oops")
    path = write_lines(tmp_path / "snap.json", lines)
    first = run(["ingest", "snapshot", str(path), "--batch-size", "3", "--json"], sqlite_url)
    assert first.returncode == 1
    assert f"{path}:3: invalid JSON" in first.stderr
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["added"] == 8 and summary["failed"] == 1 and summary["lines"] == 9

    good = write_lines(tmp_path / "good.json", good_lines(8))
    again = run(["ingest", "snapshot", str(good)], sqlite_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith("snapshot: added 0, updated 0, unchanged 8, failed 0")


def test_snapshot_cli_truncated_gzip_exits_non_zero(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "cut.json.gz"
    write_truncated_gzip(path, good_lines(300), keep=2 / 3)
    result = run(["ingest", "snapshot", str(path)], sqlite_url)
    assert result.returncode == 1
    assert "truncated at line" in result.stderr and str(path) in result.stderr
    assert "snapshot: added " in result.stdout


def test_medline_cli_names_the_bad_record_and_reruns_unchanged(sqlite_url: str) -> None:
    from tests.ingest.test_medline import EXCERPT, EXCERPT_GZ

    first = run(["ingest", "medline", str(EXCERPT), str(EXCERPT_GZ), "--json"], sqlite_url)
    assert first.returncode == 1
    assert "(PMID 33977567): no title" in first.stderr
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["added"] == 106 and summary["failed"] == 1 and summary["deletions_listed"] == 20
    again = run(["ingest", "medline", str(EXCERPT_GZ)], sqlite_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith("medline: added 0, updated 0, unchanged 60, failed 0")


def source_runs(url: str) -> dict[str, SourceRun]:
    store = open_store(url)
    try:
        return {r.source: r for r in store.source_runs()}
    finally:
        store.close()


def test_bulk_imports_record_their_runs(sqlite_url: str, tmp_path: Path) -> None:
    cut = tmp_path / "cut.json.gz"
    write_truncated_gzip(cut, good_lines(50), keep=1 / 2)
    assert run(["ingest", "snapshot", str(cut), "--workers", "0"], sqlite_url).returncode == 1
    runs = source_runs(sqlite_url)
    assert runs["snapshot"].status == "failed"
    assert "truncated at line" in (runs["snapshot"].last_error or "")
    assert runs["snapshot"].counts.added > 0  # what was read before the cut is kept

    bad_xml = tmp_path / "bad.xml"
    bad_xml.write_text("<PubmedArticleSet><PubmedArticle>")
    assert run(["ingest", "medline", str(bad_xml)], sqlite_url).returncode == 1
    runs = source_runs(sqlite_url)
    assert runs["medline"].status == "failed" and "malformed XML" in (runs["medline"].last_error or "")


def test_snapshot_bulk_load_killed_midway_then_rerun_finishes_without_duplicates(
    sqlite_url: str, tmp_path: Path
) -> None:
    """kill -9 in the middle of a bulk load (converter process and all), then the same
    command again: the indexes set aside come back, every paper is there once, and all
    of them are searchable."""
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    from paperwire.models import SearchFilters
    from paperwire.search.keyword import keyword_search
    from paperwire.search.query import parse_query
    from paperwire.store import open_store
    from tests.ingest.test_snapshot import record

    total = 20_000
    path = write_lines(
        tmp_path / "snap.jsonl",
        [json.dumps(record(i, abstract=f"We study problem {i} of the quokka kind. " * 8)) for i in range(1, total + 1)],
    )
    db_path = sqlite_url[len("sqlite:///") :]
    command = [sys.executable, "-m", "paperwire.cli", "ingest", "snapshot", str(path),
               "--batch-size", "500", "--workers", "1"]
    env = {**os.environ, "PAPERWIRE_DATABASE_URL": sqlite_url}
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )

    def stored() -> int:
        with sqlite3.connect(db_path, timeout=30) as conn:
            return int(conn.execute("SELECT count(*) FROM papers").fetchone()[0])

    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None and stored() < 2_000:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the importer and its converter process
        proc.communicate(timeout=30)
    killed_at = stored()
    assert 0 < killed_at < total, "the import should have been killed midway"
    with sqlite3.connect(db_path) as conn:
        set_aside = conn.execute("SELECT count(*) FROM bulk_load_saved").fetchone()[0]
    assert set_aside > 0  # the kill left the indexes dropped, and the record of them

    again = run(["ingest", "snapshot", str(path), "--json"], sqlite_url)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert summary["added"] == total - killed_at and summary["unchanged"] == killed_at
    store = open_store(sqlite_url)
    try:
        assert store.count_papers() == total
        assert store.restore_bulk_load() == 0  # everything set aside is back
        assert store.keyword_backlog() == 0
        assert len(keyword_search(store, parse_query("quokka"), limit=50)) == 50
        assert store.count_listed(filters=SearchFilters(author="alan turing")) == total
    finally:
        store.close()
    with sqlite3.connect(db_path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        authors = conn.execute("SELECT count(*) FROM paper_authors").fetchone()[0]
    assert {"papers_listed_day", "paper_authors_name_key", "paper_categories_category"} <= names
    assert authors == 2 * total  # no duplicated child rows
