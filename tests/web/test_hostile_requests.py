"""Requests that once answered 500, each a member of a class the site now refuses with
a 400 in the usual shape (or answers normally): cursors we never issued, numbers past
64 bits, days at the ends of the calendar, NUL and bytes that are not UTF-8. Both
backends: PostgreSQL is the one that refuses NUL in text."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.browse.cursor import encode_cursor
from paperwire.config import Settings
from paperwire.models import AnnouncementDay
from paperwire.store import Store
from tests.browse.helpers import calendar_papers, paper_on

NESTED = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode()
SHORT_NESTED = base64.urlsafe_b64encode(b"[" * 60 + b"]" * 60).decode()
NUL_ID = base64.urlsafe_b64encode(json.dumps(["2024-01-01", "a\u0000b"]).encode()).decode()
SURROGATE_ID = base64.urlsafe_b64encode(json.dumps(["2024-01-01", "a\ud800"]).encode()).decode()


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    """Papers of January 2024, and on the first and the last day of the calendar."""
    store.upsert_papers([*calendar_papers(), paper_on(date.min, 1), paper_on(date.max, 2)])
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as c:
        yield c


def assert_bad_request(response: Any, *words: str) -> None:
    """A 400; under /api and /hf/api the JSON error shape naming what was wrong."""
    assert response.status_code == 400, (response.request.url, response.status_code, response.text[:300])
    if response.request.url.path.startswith(("/api/", "/hf/api/")):
        body = response.json()
        assert set(body) == {"error", "status"} and body["status"] == 400
        for word in words:
            assert word in body["error"]


CURSOR_PATHS = [
    "/api/daily", "/api/authors/Grace Hopper", "/api/trending", "/api/categories/cs.LG", "/",
    "/trending", "/authors/Grace Hopper", "/categories/cs.LG",
]


def test_cursors_we_did_not_issue(client: TestClient) -> None:
    for path in CURSOR_PATHS:
        for cursor in (NESTED, SHORT_NESTED, NUL_ID, SURROGATE_ID, "x" * 5000):
            assert_bad_request(client.get(path, params={"cursor": cursor}), "cursor")


def test_an_issued_cursor_still_pages(client: TestClient) -> None:
    first = client.get("/api/daily", params={"month": "2024-01", "limit": 1}).json()
    assert first["next_cursor"]
    second = client.get("/api/daily", params={"month": "2024-01", "limit": 1, "cursor": first["next_cursor"]})
    assert second.status_code == 200 and second.json()["papers"] != first["papers"]
    edge = encode_cursor((date.max, "9912.00002"))
    assert client.get("/api/daily", params={"date": "9999-12-31", "cursor": edge}).json()["papers"] == []


BIG = str(10**20)
NUMBERS = [
    (f"/hf/api/daily_papers?p={BIG}", "p"),
    (f"/hf/api/daily_papers?p=-{BIG}", "p"),
    (f"/hf/api/daily_papers?p={2**63 // 100}&limit=100", "p"),
    ("/hf/api/daily_papers?p=10001&limit=100", "p"),
    (f"/hf/api/daily_papers?limit={BIG}", "limit"),
    (f"/hf/api/papers/search?q=x&limit={BIG}", "limit"),
    (f"/api/daily?limit={BIG}", "limit"),
    (f"/api/daily?limit=-{BIG}", "limit"),
    (f"/api/trending?limit={BIG}", "limit"),
    (f"/api/authors/Grace%20Hopper?limit={BIG}", "limit"),
    (f"/api/categories/cs.LG?limit={BIG}", "limit"),
    (f"/api/search?q=x&limit={BIG}", "limit"),
    (f"/api/papers/2104.12255/similar?limit={BIG}", "limit"),
    (f"/status?days={BIG}", "days"),
    ("/api/daily?limit=" + "9" * 5000, "limit"),
]


def test_numbers_beyond_64_bits(client: TestClient) -> None:
    for url, parameter in NUMBERS:
        assert_bad_request(client.get(url), parameter)


def test_the_deepest_hf_page_is_empty_not_an_error(client: TestClient) -> None:
    deepest = client.get("/hf/api/daily_papers", params={"p": 10_000, "limit": 100})
    assert deepest.status_code == 200 and deepest.json() == []


EDGE_DAYS = [
    "/api/daily?week=9999-W52", "/api/daily?month=9999-12", "/api/daily?date=9999-12-31",
    "/api/daily?date=0001-01-01", "/api/daily?week=0001-W01", "/api/daily?month=0001-01",
    "/?week=9999-W52", "/?month=9999-12", "/?date=9999-12-31", "/?date=0001-01-01",
    "/?week=0001-W01", "/?month=0001-01", "/?date=0001-01-01&category=cs.LG&code=1",
    "/hf/api/daily_papers?week=9999-W52", "/hf/api/daily_papers?date=0001-01-01",
    "/api/search?q=paper&from=9999&until=9999-12-31", "/api/search?q=paper&from=0001-01",
    "/search?q=paper&from=0001-01-01&until=9999-12", "/trending?period=month",
]


def test_days_at_the_ends_of_the_calendar(client: TestClient) -> None:
    for url in EDGE_DAYS:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:300])


def test_navigation_at_the_ends_of_the_calendar(client: TestClient) -> None:
    last = client.get("/api/daily", params={"week": "9999-W52"}).json()
    assert last["period"] == {"kind": "week", "label": "9999-W52", "start": "9999-12-27", "end": "9999-12-31"}
    assert last["next"] is None and last["previous"] is not None
    assert [p["id"] for p in last["papers"]] == ["9912.00002"]
    first = client.get("/api/daily", params={"date": "0001-01-01"}).json()
    assert first["previous"] is None and first["next"] is not None
    page = client.get("/", params={"date": "9999-12-31"})
    assert "week=9999-W52" in page.text and "month=9999-12" in page.text


def test_days_outside_the_calendar_are_bad_requests(client: TestClient) -> None:
    for url in ("/api/daily?week=0000-W52", "/?date=0000-12-31", "/?month=0000-12",
                "/api/daily?week=9999-W53", "/api/search?q=x&from=0000"):
        assert_bad_request(client.get(url))


def test_windows_reaching_back_past_the_first_day(settings: Settings, store: Store) -> None:
    """Trending and /status reach back from the newest stored day: a newest day in the
    first days of year 1 must not fail."""
    from datetime import UTC, datetime

    store.upsert_papers([paper_on(date(1, 1, 3), 1)])
    store.record_announcement_day(
        AnnouncementDay("cs.LG", date(1, 1, 3), "announced", fetched_at=datetime(2024, 1, 1, tzinfo=UTC))
    )
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as c:
        assert c.get("/api/trending", params={"period": "month"}).json()["count"] == 1
        assert c.get("/trending", params={"period": "month"}).status_code == 200
        assert c.get("/feeds/trending.atom", params={"period": "month"}).status_code == 200
        assert c.get("/status", params={"days": 60}).status_code == 200


NOT_TEXT = [
    "/api/authors/a%00b", "/api/daily?category=cs.LG%00", "/api/search?q=x&author=Ada%00",
    "/api/search?q=a%00b", "/api/search?q=x&category=cs%00", "/api/papers/2104.12255%00",
    "/hf/api/papers/2104.12255%00", "/hf/api/papers/search?q=%00", "/api/papers/a%00/similar",
    "/hf/api/daily_papers?submitter=%00", "/authors/a%00b", "/papers/2104.12255%00",
    "/papers/%00.md", "/hf/papers/%00.md", "/search?q=a%00b", "/search?q=x&author=%00",
    "/feeds/search.atom?q=a%00", "/feeds/categories/cs%00.atom", "/categories/cs%00",
    "/?category=cs.LG%00", "/static/site.css%00", "/api/daily?%00=1",
    # Not UTF-8: a stray byte, an encoded lone surrogate, an overlong NUL, a cut sequence.
    "/api/authors/%FF", "/api/daily?category=%ED%A0%80", "/api/authors/%C0%80", "/?date=%E2%82",
    "/api/search?q=%FF",
]


def test_nul_and_bytes_that_are_not_utf8(client: TestClient) -> None:
    for url in NOT_TEXT:
        assert_bad_request(client.get(url))


def test_real_non_ascii_text_still_works(client: TestClient) -> None:
    assert client.get("/api/authors/Jos%C3%A9%20Garc%C3%ADa").status_code == 404
    assert client.get("/api/search", params={"q": "Schrödinger équation"}).status_code == 200
