"""The worker's index job, over real stores and a real loopback server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from paperwire.config import Settings
from paperwire.ingest.http import HttpxClient
from paperwire.store import Store
from paperwire.worker import Worker, jobs_from_settings
from tests.replay import Reply

DATA = Path(__file__).resolve().parent / "data"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 4, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_index_job_follows_an_ingest_that_added_papers(store: Store, replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    replay.add("/rss/cs.CV", Reply(body=(DATA / "rss" / "cs.CV-2025-11-03-new.rss.xml").read_bytes()))
    clock = FakeClock()
    client = HttpxClient()
    try:
        settings = Settings(
            announcements_url=replay.base_url + "/rss", embedder="hash", data_dir=tmp_path,
            worker_sources="announcements:cs.CV@1h; index@1d",
        )
        jobs = jobs_from_settings(settings, client=client, clock=clock)
        assert [(j.name, j.follows_ingest) for j in jobs] == [("announcements", False), ("index", True)]
        worker = Worker(store, jobs, clock=clock, sleep=clock.sleep)
        assert [(o.name, o.ok) for o in worker.run_due()] == [("announcements", True), ("index", True)]
        run = store.get_source_run("index")
        assert run is not None and run.status == "ok" and run.counts.added == 3
        from paperwire.search.embedders import build_embedder

        assert store.count_papers_to_embed(build_embedder(settings).name) == 0
        clock.sleep(3600)  # the feed is unchanged: the index is not due and does not follow
        assert [o.name for o in worker.run_due()] == ["announcements"]
    finally:
        client.close()
