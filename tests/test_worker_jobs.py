"""The worker's OAI-PMH and index jobs, over real stores and a real loopback server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

from paperwire.config import Settings
from paperwire.ingest.http import HttpxClient
from paperwire.models import UpsertCounts
from paperwire.store import HarvestKey, Store
from paperwire.worker import Worker, jobs_from_settings
from tests.replay import Reply
from tests.test_worker import FakeClock, clocked_worker

DATA = Path(__file__).resolve().parent / "data"


START = datetime(2026, 11, 4, 6, 0, tzinfo=UTC)


def oai_page(name: str) -> Reply:
    return Reply(body=(DATA / "oai" / name).read_bytes(), content_type="text/xml; charset=utf-8")


def oai_settings(replay, tmp_path: Path, **extra: object) -> Settings:  # type: ignore[no-untyped-def]
    """A daily worker job harvesting set cs from the replay server, no delay."""
    return Settings(
        oai_url=replay.base_url + "/oai", oai_delay=0, worker_sources="oai:cs@1d", data_dir=tmp_path, **extra
    )


def test_oai_job_harvests_from_a_recent_day_then_continues(store: Store, replay, tmp_path: Path, http_client: HttpxClient) -> None:  # type: ignore[no-untyped-def]
    replay.add("/oai", oai_page("cs_page1.xml"), oai_page("cs_page2.xml"), oai_page("cs_page3.xml"),
               oai_page("no_records.xml"))
    clock = FakeClock(START)
    settings = oai_settings(replay, tmp_path, worker_oai_first_days=3)
    worker = clocked_worker(store, settings, http_client, clock)
    [outcome] = worker.run_due()
    assert outcome.ok, outcome.error
    first = parse_qs(replay.requests[0].query)
    assert first["set"] == ["cs"] and first["from"] == ["2026-11-01"]  # 3 days back, not all of arXiv
    run = store.get_source_run("oai:cs")
    assert run is not None and run.status == "ok" and run.counts.added == 7
    clock.sleep(86400)
    [again] = worker.run_due()
    assert again.ok, again.error
    assert parse_qs(replay.requests[-1].query)["from"] == ["2026-11-03"]  # where the last one got
    run = store.get_source_run("oai:cs")
    assert run is not None and run.runs == 2 and run.counts == UpsertCounts()


def test_index_job_follows_an_ingest_that_added_papers(store: Store, replay, tmp_path: Path, http_client: HttpxClient) -> None:  # type: ignore[no-untyped-def]
    replay.add("/rss/cs.CV", Reply(body=(DATA / "rss" / "cs.CV-2025-11-03-new.rss.xml").read_bytes()))
    clock = FakeClock(START)
    settings = Settings(
        announcements_url=replay.base_url + "/rss", embedder="hash", data_dir=tmp_path,
        worker_sources="announcements:cs.CV@1h; index@1d",
    )
    jobs = jobs_from_settings(settings, client=http_client, clock=clock)
    assert [(j.name, j.follows_ingest) for j in jobs] == [("announcements", False), ("index", True)]
    worker = Worker(store, jobs, clock=clock, sleep=clock.sleep)
    assert [(o.name, o.ok) for o in worker.run_due()] == [("announcements", True), ("index", True)]
    run = store.get_source_run("index")
    assert run is not None and run.status == "ok" and run.counts.added == 3
    from paperwire.search.embedders import build_embedder

    assert store.count_papers_to_embed(build_embedder(settings).name) == 0
    clock.sleep(3600)  # the feed is unchanged: the index is not due and does not follow
    assert [o.name for o in worker.run_due()] == ["announcements"]


def test_oai_job_stops_at_the_page_limit_and_the_next_run_continues(store: Store, replay, tmp_path: Path, http_client: HttpxClient) -> None:  # type: ignore[no-untyped-def]
    replay.add("/oai", oai_page("cs_page1.xml"), oai_page("cs_page2.xml"), oai_page("cs_page3.xml"))
    clock = FakeClock(START)
    settings = oai_settings(replay, tmp_path, oai_max_pages=2)
    worker = clocked_worker(store, settings, http_client, clock)
    [outcome] = worker.run_due()
    assert outcome.ok, outcome.error  # stopping at the limit is no failure
    assert len(replay.requests) == 2
    run = store.get_source_run("oai:cs")
    assert run is not None and run.status == "ok" and run.counts.added == 5
    clock.sleep(86400)
    [again] = worker.run_due()
    assert again.ok, again.error
    assert parse_qs(replay.requests[2].query) == {"verb": ["ListRecords"], "resumptionToken": ["7281|2001"]}
    state = store.get_harvest(HarvestKey("arxiv_oai", "cs", "arXiv"))
    assert state is not None and not state.in_progress and state.pages_done == 3
    assert store.count_papers() == 7


# --- one function per job: the CLI command and the worker job behave alike ----------


def test_cli_starts_a_first_oai_harvest_where_the_worker_does(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.ingest.test_cli_net import run_cli

    replay.add("/oai", oai_page("no_records.xml"))
    url = f"sqlite:///{tmp_path / 'x.db'}"
    before = datetime.now(UTC).date()
    result = run_cli(
        ["ingest", "oai", "--set", "cs", "--json"], url,
        PAPERWIRE_OAI_URL=replay.base_url + "/oai", PAPERWIRE_WORKER_OAI_FIRST_DAYS="5",
    )
    after = datetime.now(UTC).date()
    assert result.returncode == 0, result.stderr
    [request] = replay.requests
    sent_from = parse_qs(request.query)["from"][0]  # not all of arXiv: 5 days back
    assert sent_from in {(day - timedelta(days=5)).isoformat() for day in (before, after)}
    assert json.loads(result.stdout)["from"] == sent_from


def test_worker_index_job_fills_the_keyword_index_first(sqlite_store: Store, tmp_path: Path, http_client: HttpxClient) -> None:
    from paperwire.models import Paper

    papers = [Paper(id=f"2101.0000{i}", title=f"Sparse attention number {i}", abstract="Token pruning.")
              for i in range(1, 4)]
    sqlite_store.upsert_papers(papers, defer_index=True)  # as a bulk import leaves them
    assert sqlite_store.keyword_backlog() == 3
    settings = Settings(embedder="hash", data_dir=tmp_path, worker_sources="index@1d")
    [outcome] = Worker(sqlite_store, jobs_from_settings(settings, client=http_client)).run_due()
    assert outcome.ok, outcome.error
    assert sqlite_store.keyword_backlog() == 0  # searchable by keyword, not only embedded
    run = sqlite_store.get_source_run("index")
    assert run is not None and run.status == "ok" and run.counts.added == 3
