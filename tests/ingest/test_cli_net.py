"""``paperwire ingest arxiv`` / ``ingest oai`` end to end: a subprocess against the
replay server, real exit codes and output, a real SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ingest.netfakes import load_api_recordings


def run_cli(args: list[str], db_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "PAPERWIRE_DATABASE_URL": db_url,
        "PAPERWIRE_ARXIV_API_DELAY": "0",
        "PAPERWIRE_OAI_DELAY": "0",
        "PAPERWIRE_HTTP_BACKOFF": "0",
        "PAPERWIRE_HTTP_MAX_RETRIES": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "paperwire.cli", *args],
        env=full_env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_ingest_arxiv_query_and_ids(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    api = {"PAPERWIRE_ARXIV_API_URL": replay.base_url + "/api/query"}
    first = run_cli(["ingest", "arxiv", "--query", "testing", "--max", "20", "--page-size", "10", "--json"], url, **api)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {
        "added": 20, "updated": 0, "unchanged": 0, "failed": 0, "error_count": 0, "errors": [], "notes": [],
    }
    again = run_cli(["ingest", "arxiv", "-q", "testing", "--max", "20", "--page-size", "10"], url, **api)
    assert again.returncode == 0
    assert again.stdout.strip() == "arxiv: added 0, updated 0, unchanged 20, failed 0"
    ids = run_cli(["ingest", "arxiv", "--ids", "1605.08386, not-an-id"], url, **api)
    assert ids.returncode == 1
    assert "'not-an-id': not an arXiv id" in ids.stderr
    assert ids.stdout.strip() == "arxiv: added 1, updated 0, unchanged 0, failed 1"


def test_ingest_arxiv_bad_usage_and_unreachable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    both = run_cli(["ingest", "arxiv", "--query", "x", "--ids", "1605.08386"], url)
    assert both.returncode == 2 and "exactly one of --query or --ids" in both.stderr
    down = run_cli(
        ["ingest", "arxiv", "--query", "testing"], url,
        PAPERWIRE_ARXIV_API_URL="http://127.0.0.1:9/api/query", PAPERWIRE_HTTP_TIMEOUT="2",
    )
    assert down.returncode == 1
    assert "arXiv API query 'testing'" in down.stderr and "gave up after 2 attempts" in down.stderr
    assert "Traceback" not in down.stderr


def test_ingest_oai_dies_then_resumes_across_processes(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.ingest.test_arxiv_oai import TOKEN1, ok, route_three_pages
    from tests.replay import Reply

    route_three_pages(replay, page2=(Reply(500, "boom"), Reply(500, "boom"), ok("cs_page2.xml")))
    url = f"sqlite:///{tmp_path / 'x.db'}"
    oai = {"PAPERWIRE_OAI_URL": replay.base_url + "/oai"}
    first = run_cli(["ingest", "oai", "--set", "cs", "--from", "2026-11-01", "--json"], url, **oai)
    assert first.returncode == 1
    assert "page 2" in first.stderr and "HTTP 500" in first.stderr and "run the same command again" in first.stderr
    summary = json.loads(first.stdout)
    assert summary["added"] == 3 and summary["completed"] is False
    second = run_cli(["ingest", "oai", "--set", "cs"], url, **oai)
    assert second.returncode == 0, second.stderr
    assert "resuming at page 2" in second.stderr
    assert second.stdout.strip() == "oai: added 4, updated 0, unchanged 0, failed 0"
    resumed = [r for r in replay.requests if "resumptionToken" in r.query]
    assert resumed[-2].query.endswith("7281%7C1001") and TOKEN1["resumptionToken"] == "7281|1001"
    from paperwire.store import open_store

    store = open_store(url)
    try:
        run = store.get_source_run("oai:cs")  # what GET /status shows
        assert run is not None and run.status == "ok" and run.runs == 2
        assert run.last_failure is not None and run.counts.added == 4
    finally:
        store.close()
    bad = run_cli(["ingest", "oai", "--set", "cs", "--from", "2026-13-01"], url, **oai)
    assert bad.returncode == 2 and "--from" in bad.stderr and "not a calendar day" in bad.stderr


def test_ingest_oai_killed_midway_then_resumed(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The process is killed (SIGKILL) while waiting for page 2; the rerun resumes."""
    import time

    from paperwire.store import HarvestKey, open_store
    from tests.ingest.test_arxiv_oai import ok, route_three_pages
    from tests.replay import Reply

    slow = Reply(200, ok("cs_page2.xml").body, delay=60)
    route_three_pages(replay, page2=(slow, ok("cs_page2.xml")))
    url = f"sqlite:///{tmp_path / 'x.db'}"
    env = {**os.environ, "PAPERWIRE_DATABASE_URL": url, "PAPERWIRE_OAI_DELAY": "0",
           "PAPERWIRE_OAI_URL": replay.base_url + "/oai", "PAPERWIRE_HTTP_TIMEOUT": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperwire.cli", "ingest", "oai", "--set", "cs", "--from", "2026-11-01"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    key = HarvestKey("arxiv_oai", "cs", "arXiv")
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and sum("7281" in r.query for r in replay.requests) < 1:
            time.sleep(0.1)  # wait until the client asks for page 2 (page 1 is stored by then)
        time.sleep(0.3)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    store = open_store(url)
    try:
        state = store.get_harvest(key)
        assert state is not None and state.in_progress and state.pages_done == 1
        assert store.count_papers() == 3
    finally:
        store.close()
    second = run_cli(["ingest", "oai", "--set", "cs", "--json"], url, PAPERWIRE_OAI_URL=replay.base_url + "/oai")
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert summary["resumed_at_page"] == 2 and summary["added"] == 4 and summary["completed"]
    store = open_store(url)
    try:
        state = store.get_harvest(key)
        assert state is not None and (state.pages_done, state.records_done) == (3, 8)
        assert store.count_papers() == 7
    finally:
        store.close()
