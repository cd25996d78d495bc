"""The public digest archive (pages and Atom feeds) and the digest part of /status, on
both backends, in-process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.digest.mailer import SmtpMailer
from paperwire.digest.send import send_digests
from paperwire.store import Store
from tests.digest.scenario import (
    BASE,
    FRIDAY_MORNING,
    Clock,
    settings_for,
    subscribe,
    week_papers,
)
from tests.mail_server import MailServer


@pytest.fixture
def site(store: Store, database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    store.upsert_papers(week_papers())
    settings = settings_for(None, database_url, tmp_path, allowed_hosts="testserver")
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
        yield client


def test_a_days_digest_page(site: TestClient) -> None:
    page = site.get("/digests/daily/2026-12-04")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Friday, 04 December 2026</h1>" in html and "Trending today" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Bold&lt;/b&gt;" in html
    assert 'href="/papers/2612.00044"' in html and "2612.00034" not in html  # Friday's only
    assert 'href="/digests/daily/2026-12-03" rel="prev"' in html
    assert 'rel="next"' not in html.split('aria-label="Digests"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/feeds/digests/daily.atom"' in html
    assert page.headers.get("etag")


def test_a_weeks_digest_page(site: TestClient) -> None:
    page = site.get("/digests/weekly/2026-W49")
    assert page.status_code == 200
    assert "Trending this week" in page.text and "week 2026-W49" in page.text
    assert "2611.00001" in page.text and "2612.00044" in page.text
    assert 'href="/?week=2026-W49"' in page.text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/digests/daily/2026-02-30", 400),
        ("/digests/daily/20261204", 400),
        ("/digests/weekly/2026-W60", 400),
        ("/digests/monthly/2026-12", 404),
        ("/digests/daily/2999-01-01", 404),
    ],
)
def test_bad_or_future_periods_are_error_pages(site: TestClient, path: str, status: int) -> None:
    page = site.get(path)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")


def test_a_day_without_papers_says_so(site: TestClient) -> None:
    page = site.get("/digests/daily/2026-11-29")  # a Sunday
    assert page.status_code == 200 and "No papers" in page.text


@pytest.mark.parametrize("frequency", ["daily", "weekly"])
def test_the_digest_feeds(site: TestClient, frequency: str) -> None:
    response = site.get(f"/feeds/digests/{frequency}.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.link.startswith(BASE + "/digests/")
    links = [e.link for e in parsed.entries]
    if frequency == "daily":
        assert links == [f"{BASE}/digests/daily/2026-12-0{d}" for d in (4, 3, 2, 1)] + [
            f"{BASE}/digests/daily/2026-11-30"
        ]
        first = parsed.entries[0]
        assert first.title == "Trending, Friday, 04 December 2026: 4 papers"
        assert '<script>alert("x")</script>' in first.summary  # text, escaped in the XML
    else:
        assert links == [f"{BASE}/digests/weekly/2026-W49"]
        assert "20 papers" in parsed.entries[0].title


def test_status_shows_the_last_digest_run(
    store: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    from paperwire.ingest.jobs import run_source

    store.upsert_papers(week_papers())
    subscribe(store, "a@example.org")
    subscribe(store, "b@example.org", trending=False, categories=["math.AG"])
    settings = settings_for(smtp_server, database_url, tmp_path, allowed_hosts="testserver")
    clock = Clock()
    run_source(
        store,
        "digest:daily",
        lambda: send_digests(
            store, SmtpMailer.from_settings(settings), settings, "daily", clock=clock
        ),
        clock=lambda: FRIDAY_MORNING + timedelta(seconds=1),
    )
    with TestClient(create_app(settings, store=store)) as client:
        status = client.get("/status").json()
    daily = status["digests"]["daily"]
    assert daily["period"] == "daily:2026-12-04"
    assert daily["outbox"] == {"pending": 0, "sending": 0, "sent": 1, "skipped": 1, "failed": 0}
    run = daily["last_run"]
    assert (run["sent"], run["skipped"], run["failed"], run["status"]) == (1, 1, 0, "ok")
    assert datetime.fromisoformat(run["last_started"]) == FRIDAY_MORNING + timedelta(seconds=1)
    assert status["digests"]["weekly"] == {"last_run": None, "period": None, "outbox": None}
    assert datetime.now(UTC) > FRIDAY_MORNING  # the scenario's Friday is in the past
