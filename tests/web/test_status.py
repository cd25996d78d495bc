"""GET /status in-process over a real store on both backends."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import httpx

from paperwire.models import AnnouncementDay, UpsertCounts
from paperwire.store import Store

T0 = datetime(2025, 11, 8, 6, 0, tzinfo=UTC)


def test_status_empty(client: httpx.Client) -> None:
    r = client.get("/status")
    assert r.status_code == 200
    status = r.json()
    assert status["sources"] == []
    assert status["announcements"] == {"latest_day": None, "days": []}
    nothing_sent = {"last_run": None, "period": None, "outbox": None}
    assert status["digests"] == {"daily": nothing_sent, "weekly": nothing_sent}


def test_status_shows_runs_and_latest_days(client: httpx.Client, sample_store: Store) -> None:
    sample_store.start_source_run("announcements", started_at=T0)
    sample_store.finish_source_run(
        "announcements", finished_at=T0, counts=UpsertCounts(added=4, failed=1), error="http://x/rss/cs.CV: HTTP 503"
    )
    sample_store.record_announcement_day(AnnouncementDay("cs.CV", date(2025, 11, 3), "announced", 3, T0))
    sample_store.record_announcement_day(AnnouncementDay("cs.LG", date(2025, 11, 3), "none", 0, T0))
    sample_store.record_announcement_day(AnnouncementDay("cs.CV", date(2025, 11, 8), "none", 0, T0))
    sample_store.record_announcement_day(AnnouncementDay("cs.CV", date(2025, 10, 1), "announced", 9, T0))

    body = client.get("/status").json()
    [run] = body["sources"]
    assert run["source"] == "announcements" and run["status"] == "failed"
    assert run["counts"] == {"added": 4, "updated": 0, "unchanged": 0, "failed": 1}
    assert run["last_error"] == "http://x/rss/cs.CV: HTTP 503" and run["last_success"] is None
    assert datetime.fromisoformat(run["last_started"]) == T0
    ann = body["announcements"]
    assert ann["latest_day"] == "2025-11-08"
    # The last 7 days only, newest first; a day is announced if any category was.
    assert [(d["day"], d["status"]) for d in ann["days"]] == [("2025-11-08", "none"), ("2025-11-03", "announced")]
    assert ann["days"][1]["categories"]["cs.CV"]["papers"] == 3
    assert ann["days"][1]["categories"]["cs.LG"]["status"] == "none"

    longer = client.get("/status", params={"days": 60}).json()
    assert [d["day"] for d in longer["announcements"]["days"]][-1] == "2025-10-01"


def test_status_bad_parameter_is_a_json_400ish(client: httpx.Client) -> None:
    r = client.get("/status", params={"days": "lots"})
    assert r.status_code in (400, 422)
    assert "application/json" in r.headers["content-type"]


def test_status_masks_credentials_in_the_last_error(client: httpx.Client, sample_store: Store) -> None:
    error = (
        "postgresql://paper:hunter2@db.internal/pw: connection refused; "
        "GET https://ghp_TOKEN123@api.github.com/repos/a/b?per_page=1&access_token=SEKRIT: 401"
    )
    sample_store.start_source_run("github", started_at=T0)
    sample_store.finish_source_run("github", finished_at=T0, counts=UpsertCounts(), error=error)
    [run] = client.get("/status").json()["sources"]
    shown = run["last_error"]
    assert not {"hunter2", "ghp_TOKEN123", "SEKRIT"} & set(re.split(r"[\s:@/?&=]", shown))
    assert shown == (
        "postgresql://paper:***@db.internal/pw: connection refused; "
        "GET https://***@api.github.com/repos/a/b?per_page=1&access_token=***: 401"
    )
