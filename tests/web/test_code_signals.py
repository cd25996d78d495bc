"""Code signals where readers see them, on both backends: cards and the paper page show
stars, "archived" and the Hub's counts; /api/papers/{id} has `code` and `hub`; the
Hugging Face–compatible API fills `githubRepo` and `githubStars` as huggingface_hub's
PaperInfo reads them. Before a GitHub run, the links show without stars."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from huggingface_hub.hf_api import PaperInfo

from paperwire.app import create_app
from paperwire.config import Settings
from paperwire.models import HubArtifact, HubLinks, Link
from paperwire.store import Store
from tests.browse.helpers import paper_on

NOW = datetime(2025, 1, 7, 8, 0, tzinfo=UTC)
DAY = date(2025, 1, 6)
PAPER = "2501.00001"


def fill(store: Store, *, fetched: bool) -> None:
    """A paper with two repositories (one archived, more starred) and Hub links; with
    ``fetched=False`` nothing was fetched yet (the state while GitHub is unreachable)."""
    paper = replace(
        paper_on(DAY, 1),
        links=[
            Link("code", "https://github.com/lab/small"),
            Link("code", "https://github.com/lab/big"),
            Link("code", "https://gitlab.com/lab/mirror"),
        ],
    )
    store.upsert_papers([paper, paper_on(DAY, 2)])
    if not fetched:
        return
    # lab/small as GitHub spells it; lab/big renamed since the paper linked it.
    for name, current, stars, archived in (
        ("lab/small", "Lab/small", 12, False),
        ("lab/big", "NewLab/big", 7122, True),
    ):
        repo = store.get_repository(name)
        assert repo is not None
        store.save_repository(
            replace(
                repo,
                status="ok",
                current_name=current,
                html_url=f"https://github.com/{name}",
                stars=stars,
                forks=3,
                license="MIT",
                archived=archived,
                pushed_at=datetime(2024, 12, 19, 12, 1, 11, tzinfo=UTC),
                checked_at=NOW,
                next_check_at=NOW + timedelta(hours=5),
            ),
            day=NOW.date(),
        )
    store.save_hub_links(
        PAPER,
        HubLinks(
            checked_at=NOW,
            models=12,
            spaces=1,
            artifacts=(
                HubArtifact("model", "lab/big-7b", likes=400, downloads=1000),
                HubArtifact("space", "lab/demo", likes=9),
            ),
        ),
        next_check_at=NOW + timedelta(days=1),
    )


@pytest.fixture
def web(settings: Settings, store: Store) -> Iterator[tuple[httpx.Client, Store]]:
    app = create_app(settings, store=store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, store


def test_cards_and_the_paper_page_show_stars_archived_and_hub_counts(
    web: tuple[httpx.Client, Store],
) -> None:
    client, store = web
    fill(store, fetched=True)
    daily = client.get(f"/?date={DAY}")
    assert daily.status_code == 200
    html = daily.text
    assert "7,122" in html and "GitHub stars" in html
    assert 'class="badge badge-archived"' in html
    assert "12 models · 1 Space" in html
    page = client.get(f"/papers/{PAPER}")
    assert page.status_code == 200
    text = page.text
    assert "7,122" in text and "12" in text and "last push" in text and "MIT" in text
    assert "(now NewLab/big)" in text and "(now Lab/small)" not in text
    assert "On the Hugging Face Hub" in text
    assert 'href="https://huggingface.co/lab/big-7b"' in text
    assert 'href="https://huggingface.co/spaces/lab/demo"' in text
    assert "Models citing this paper (12)" in text
    assert "https://huggingface.co/models?other=arxiv:2501.00001" in text  # 12 > 10 shown


def test_the_api_gives_code_and_hub(web: tuple[httpx.Client, Store]) -> None:
    client, store = web
    fill(store, fetched=True)
    body = client.get(f"/api/papers/{PAPER}").json()
    assert body["code"] == [
        {
            "url": "https://github.com/lab/small",
            "stars": 12,
            "forks": 3,
            "pushed_at": "2024-12-19T12:01:11+00:00",
            "license": "MIT",
            "archived": False,
        },
        {
            "url": "https://github.com/lab/big",
            "stars": 7122,
            "forks": 3,
            "pushed_at": "2024-12-19T12:01:11+00:00",
            "license": "MIT",
            "archived": True,
        },
        {
            "url": "https://gitlab.com/lab/mirror",
            "stars": None,
            "forks": None,
            "pushed_at": None,
            "license": None,
            "archived": False,
        },
    ]
    assert body["hub"]["models"] == [
        {
            "id": "lab/big-7b",
            "likes": 400,
            "downloads": 1000,
            "url": "https://huggingface.co/lab/big-7b",
        }
    ]
    assert body["hub"]["datasets"] == []
    assert body["hub"]["spaces"][0]["url"] == "https://huggingface.co/spaces/lab/demo"
    assert body["hub"]["totals"] == {"models": 12, "datasets": 0, "spaces": 1}


def test_the_hf_api_fills_github_repo_and_stars(web: tuple[httpx.Client, Store]) -> None:
    client, store = web
    fill(store, fetched=True)
    info = PaperInfo(**client.get(f"/hf/api/papers/{PAPER}").json())
    assert info.github_repo == "https://github.com/lab/big"  # the most starred
    assert info.github_stars == 7122
    assert info.linked_models is not None and info.linked_models[0].id == "lab/big-7b"
    assert info.num_total_models == 12 and info.linked_datasets == []
    assert info.linked_spaces is not None and info.linked_spaces[0].likes == 9
    daily = client.get("/hf/api/daily_papers", params={"date": DAY.isoformat()}).json()
    items = {item["paper"]["id"]: PaperInfo(**item) for item in daily}
    assert items[PAPER].github_stars == 7122
    assert items["2501.00002"].github_stars is None and items["2501.00002"].github_repo is None


def test_before_github_is_reached_links_show_without_stars(web: tuple[httpx.Client, Store]) -> None:
    client, store = web
    fill(store, fetched=False)
    page = client.get(f"/papers/{PAPER}").text
    assert 'href="https://github.com/lab/big"' in page and "GitHub stars" not in page
    assert "On the Hugging Face Hub" not in page
    body = client.get(f"/api/papers/{PAPER}").json()
    assert [c["stars"] for c in body["code"]] == [None, None, None]
    assert body["hub"]["totals"] == {"models": 0, "datasets": 0, "spaces": 0}
    info = PaperInfo(**client.get(f"/hf/api/papers/{PAPER}").json())
    assert info.github_repo == "https://github.com/lab/small" and info.github_stars is None


def test_a_new_star_count_reaches_a_cached_page(web: tuple[httpx.Client, Store]) -> None:
    client, store = web
    fill(store, fetched=True)
    first = client.get(f"/papers/{PAPER}")
    etag = first.headers["etag"]
    assert client.get(f"/papers/{PAPER}", headers={"If-None-Match": etag}).status_code == 304
    repo = store.get_repository("lab/big")
    assert repo is not None
    store.save_repository(replace(repo, stars=8000), day=NOW.date())
    again = client.get(f"/papers/{PAPER}", headers={"If-None-Match": etag})
    assert again.status_code == 200 and "8,000" in again.text


def test_status_says_when_github_cannot_be_reached(web: tuple[httpx.Client, Store]) -> None:
    from paperwire.ingest.jobs import run_source
    from paperwire.signals.github import GithubApi, refresh_github
    from tests.ingest.netfakes import FakeClock, fake_fetcher

    client, store = web
    fill(store, fetched=False)
    fetcher = fake_fetcher(FakeClock(), delay=0, max_retries=0, backoff=0, timeout=2)
    api = GithubApi(fetcher, api_url="http://127.0.0.1:9")
    run_source(store, "github", lambda: refresh_github(store, api, limit=10, clock=lambda: NOW))
    store.set_signal_pause("hub", NOW + timedelta(minutes=5), "HTTP 429")
    status = client.get("/status").json()
    [github_run] = [s for s in status["sources"] if s["source"] == "github"]
    assert github_run["status"] == "failed"
    assert "GitHub cannot be reached" in github_run["last_error"]
    signals = status["signals"]
    assert signals["github"]["last_run"]["last_error"] == github_run["last_error"]
    assert signals["github"]["repositories"] == {"new": 2, "ok": 0, "gone": 0, "invalid": 0}
    assert signals["hub"]["paused_until"] == (NOW + timedelta(minutes=5)).isoformat()
    assert signals["hub"]["last_run"] is None and signals["hub"]["papers_checked"] == 0
    # Meanwhile the paper page shows its links, without stars.
    page = client.get(f"/papers/{PAPER}").text
    assert 'href="https://github.com/lab/big"' in page and "GitHub stars" not in page
