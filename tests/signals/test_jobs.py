"""The github and hub jobs as the worker and the command line run them: the same
functions, recorded under the same names for /status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.ingest.http import HttpxClient
from paperwire.models import Link
from paperwire.store import Store, open_store
from paperwire.worker import ScheduleError, jobs_from_settings
from tests.browse.helpers import paper_on
from tests.conftest import migrated_sqlite
from tests.replay import ReplayServer, Reply
from tests.signals.github_replay import load_github
from tests.test_worker import FakeClock, clocked_worker

HUB_EMPTY = (Path(__file__).resolve().parent.parent / "data" / "hub" / "empty.json").read_bytes()
RECORDED = datetime(2025, 1, 7, 7, 32, 15, tzinfo=UTC)


def signal_settings(replay: ReplayServer, tmp_path: Path, sources: str) -> Settings:
    return Settings(
        github_api_url=replay.base_url,
        github_delay=0,
        hf_endpoint=replay.base_url,
        hf_delay=0,
        worker_sources=sources,
        data_dir=tmp_path,
    )


def a_paper_with_code(store: Store) -> None:
    paper = paper_on(date(2025, 1, 6), 1)
    store.upsert_papers(
        [replace(paper, links=[Link("code", "https://github.com/pygithub/pygithub")])]
    )


def test_worker_runs_github_and_hub_and_records_them(
    store: Store, replay: ReplayServer, tmp_path: Path, http_client: HttpxClient
) -> None:
    load_github(replay, "repo_200.txt", path="/repos/pygithub/pygithub")
    for kind in ("models", "datasets", "spaces"):
        replay.add(f"/api/{kind}", Reply(body=HUB_EMPTY, content_type="application/json"))
    a_paper_with_code(store)
    settings = signal_settings(replay, tmp_path, "github:50@6h; hub:10@1d")
    clock = FakeClock(RECORDED)
    worker = clocked_worker(store, settings, http_client, clock)
    assert [j.name for j in worker.jobs] == ["github", "hub"]
    outcomes = worker.run_due()
    assert [(o.name, o.ok) for o in outcomes] == [("github", True), ("hub", True)], outcomes
    github = store.get_source_run("github")
    hub = store.get_source_run("hub")
    assert github is not None and github.status == "ok" and github.counts.added == 1
    assert hub is not None and hub.status == "ok" and hub.counts.added == 1
    repo = store.get_repository("pygithub/pygithub")
    assert repo is not None and repo.stars == 7122
    assert worker.run_due() == []  # nothing is due an instant later


@pytest.mark.parametrize("entry", ["github:many@6h", "hub:1,2@1d"])
def test_a_bad_limit_is_refused(entry: str, tmp_path: Path, http_client: HttpxClient) -> None:
    settings = Settings(worker_sources=entry, data_dir=tmp_path)
    with pytest.raises(ScheduleError, match="takes one number"):
        jobs_from_settings(settings, client=http_client)


def run_cli(args: list[str], db_url: str, replay: ReplayServer) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PAPERWIRE_DATABASE_URL": db_url,
        "PAPERWIRE_GITHUB_API_URL": replay.base_url,
        "PAPERWIRE_GITHUB_DELAY": "0",
        "PAPERWIRE_GITHUB_TOKEN": "ghp_never_printed",
        "PAPERWIRE_HTTP_BACKOFF": "0",
        "PAPERWIRE_HTTP_MAX_RETRIES": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "paperwire.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_ingest_github_then_a_rate_limit(replay: ReplayServer, tmp_path: Path) -> None:
    load_github(replay, "repo_200.txt", path="/repos/pygithub/pygithub")
    load_github(replay, "rate_limited_403.txt")
    url = migrated_sqlite(tmp_path, fill=a_paper_with_code)
    first = run_cli(["ingest", "github", "--json"], url, replay)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["added"], summary["requests"], summary["paused_until"]) == (1, 1, None)
    assert replay.requests[0].headers["Authorization"] == "Bearer ghp_never_printed"
    # A newer paper links a repository whose answer is the rate limit.
    store = open_store(url)
    try:
        newer = replace(
            paper_on(date(2025, 1, 7), 2),
            links=[Link("code", "https://github.com/octocat/hello-world")],
        )
        store.upsert_papers([newer])
    finally:
        store.close()
    limited = run_cli(["ingest", "github"], url, replay)
    assert limited.returncode == 1
    assert "rate limit exhausted: stopped after 0 of 1 repositories" in limited.stderr
    assert "the next run may start at" in limited.stderr
    assert "github: added 0, updated 0, unchanged 0, failed 0" in limited.stdout
    assert "ghp_never_printed" not in limited.stdout + limited.stderr + first.stdout + first.stderr
