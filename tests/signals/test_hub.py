"""Hub signals end to end on both backends: the Hub's listing answers (tests/data/hub)
replayed by a loopback server, the real HTTP client and fetcher, a real store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from huggingface_hub.hf_api import DatasetInfo, ModelInfo, SpaceInfo

from paperwire.ingest.jobs import run_source
from paperwire.models import HubArtifact, UpsertCounts
from paperwire.signals.hub import COUNT_CAP, HubApi, refresh_hub
from paperwire.store import Store
from tests.browse.helpers import paper_on
from tests.ingest.netfakes import FakeClock, fake_fetcher
from tests.replay import ReplayServer, Reply
from tests.test_worker import FakeClock as WallClock

HUB_DATA = Path(__file__).resolve().parent.parent / "data" / "hub"
NOW = datetime(2025, 1, 12, 9, 0, tzinfo=UTC)
PAPER = "2501.00001"


def listing(name: str, **headers: str) -> Reply:
    return Reply(
        body=(HUB_DATA / name).read_bytes(),
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


def serve_hub(replay: ReplayServer, *, next_page: str | None = None) -> None:
    page2 = next_page or f"{replay.base_url}/api/models?filter=arxiv%3A{PAPER}&cursor=eyJ2IjoyfQ"
    replay.add("/api/models", listing("models_page1.json", Link=f'<{page2}>; rel="next"'))
    replay.add("/api/models", listing("models_page2.json"))
    replay.add("/api/datasets", listing("datasets.json"))
    replay.add("/api/spaces", listing("spaces.json"))


def hub(replay_url: str) -> HubApi:
    fetcher = fake_fetcher(FakeClock(), delay=0, max_retries=1, backoff=0, timeout=2)
    return HubApi(fetcher, endpoint=replay_url)


def test_the_fixtures_read_as_huggingface_hub_reads_them() -> None:
    for name, info in (
        ("models_page1.json", ModelInfo),
        ("models_page2.json", ModelInfo),
        ("datasets.json", DatasetInfo),
        ("spaces.json", SpaceInfo),
    ):
        for item in json.loads((HUB_DATA / name).read_text()):
            parsed = info(**item)
            assert parsed.id == item["id"] and parsed.likes == item["likes"]


def test_a_lookup_stores_counts_and_the_most_liked(store: Store, replay: ReplayServer) -> None:
    serve_hub(replay)
    store.upsert_papers([paper_on(date(2025, 1, 10), 1), paper_on(date(2024, 1, 10), 2)])
    report = refresh_hub(store, hub(replay.base_url), limit=1, clock=WallClock(NOW))
    assert report.ok, report.errors
    assert report.counts == UpsertCounts(added=1) and report.requests == 4
    first = parse_qs(replay.requests[0].query)
    assert replay.requests[0].path == "/api/models"
    assert first == {"filter": [f"arxiv:{PAPER}"], "sort": ["likes"], "limit": ["100"]}
    assert parse_qs(replay.requests[1].query)["cursor"] == ["eyJ2IjoyfQ"]
    assert [r.path for r in replay.requests[2:]] == ["/api/datasets", "/api/spaces"]
    links = store.hub_links_for_papers([PAPER])[PAPER]
    assert (links.models, links.datasets, links.spaces) == (3, 1, 1)
    assert links.of_kind("model") == [
        HubArtifact("model", "example-org/tiny-reasoner-7b", likes=412, downloads=182340),
        HubArtifact("model", "someone/tiny-reasoner-7b-GGUF", likes=58, downloads=20911),
        HubArtifact("model", "another/tiny-reasoner-7b-awq", likes=3, downloads=845),
    ]
    assert links.of_kind("space") == [
        HubArtifact("space", "example-org/tiny-reasoner-demo", likes=129, downloads=None)
    ]
    # The next due is the older paper; the checked one is due again tomorrow.
    assert [p for p, _ in store.hub_papers_due(now=NOW, limit=5)] == ["2401.00002"]
    assert [p for p, _ in store.hub_papers_due(now=NOW + timedelta(days=1), limit=5)] == [
        "2401.00002",
        PAPER,
    ]


def test_a_rerun_that_finds_the_same_changes_nothing_shown(
    store: Store, replay: ReplayServer
) -> None:
    serve_hub(replay)
    replay.add("/api/models", listing("models_page1.json"), listing("models_page2.json"))
    store.upsert_papers([paper_on(date(2025, 1, 10), 1)])
    clock = WallClock(NOW)
    api = hub(replay.base_url)
    refresh_hub(store, api, limit=5, clock=clock)
    assert refresh_hub(store, api, limit=5, clock=clock).requests == 0  # not due
    version = store.data_version().version
    clock.sleep(86400)
    replay.routes["/api/models"] = [listing("models_page1.json")]  # no next page now
    replay.routes["/api/datasets"] = [listing("empty.json")]
    again = refresh_hub(store, api, limit=5, clock=clock)
    assert again.ok and again.counts == UpsertCounts(updated=1)
    links = store.hub_links_for_papers([PAPER])[PAPER]
    assert (links.models, links.datasets, links.spaces) == (2, 0, 1)
    assert store.data_version().version > version
    clock.sleep(86400)
    version = store.data_version().version
    assert refresh_hub(store, api, limit=5, clock=clock).counts == UpsertCounts(unchanged=1)
    assert store.data_version().version == version


def test_a_next_page_elsewhere_is_not_followed(store: Store, replay: ReplayServer) -> None:
    serve_hub(replay, next_page="https://elsewhere.example/api/models?cursor=x")
    store.upsert_papers([paper_on(date(2025, 1, 10), 1)])
    report = refresh_hub(store, hub(replay.base_url), limit=1, clock=WallClock(NOW))
    assert report.ok and report.requests == 3
    assert store.hub_links_for_papers([PAPER])[PAPER].models == 2


def test_counting_stops_at_the_cap(store: Store, replay: ReplayServer) -> None:
    items = [{"id": f"org/m{i}", "likes": 1000 - i, "downloads": i} for i in range(100)]
    more = f'<{replay.base_url}/api/models?cursor=next>; rel="next"'
    replay.add("/api/models", Reply(body=json.dumps(items), headers={"Link": more}))
    replay.add("/api/datasets", listing("empty.json"))
    replay.add("/api/spaces", listing("empty.json"))
    store.upsert_papers([paper_on(date(2025, 1, 10), 1)])
    report = refresh_hub(store, hub(replay.base_url), limit=1, clock=WallClock(NOW))
    assert report.ok and report.requests == 5 + 2
    links = store.hub_links_for_papers([PAPER])[PAPER]
    assert links.models == COUNT_CAP and len(links.of_kind("model")) == 30


def test_an_unreachable_hub_is_recorded_for_status(store: Store) -> None:
    store.upsert_papers([paper_on(date(2025, 1, 10), 1), paper_on(date(2025, 1, 9), 2)])
    api = hub("http://127.0.0.1:9")
    run_source(store, "hub", lambda: refresh_hub(store, api, limit=5, clock=WallClock(NOW)))
    run = store.get_source_run("hub")
    assert run is not None and run.status == "failed"
    assert run.last_error is not None
    assert "the Hugging Face Hub cannot be reached" in run.last_error
    assert "stopped after 0 of 2 papers" in run.last_error
    assert store.count_hub_checked() == 0


@pytest.mark.parametrize("status", [404, 500])
def test_a_hub_that_keeps_refusing_stops_the_run(
    store: Store, replay: ReplayServer, status: int
) -> None:
    replay.add("/api/models", Reply(status, '{"error":"Sorry, we can\'t find the page"}'))
    store.upsert_papers([paper_on(date(2025, 1, d), d) for d in range(1, 6)])
    report = refresh_hub(store, hub(replay.base_url), limit=5, clock=WallClock(NOW))
    assert not report.ok
    if status == 404:
        assert "refused 3 papers in a row" in report.errors[-1]
        assert len(replay.requests) == 3
    else:  # retried once, then the Hub is taken as down
        assert "cannot be reached" in report.errors[-1]
        assert len(replay.requests) == 2
    assert store.count_hub_checked() == 0
