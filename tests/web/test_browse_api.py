"""/api/daily, /api/trending, /api/authors, /api/categories on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from paperwire.app import create_app
from paperwire.config import Settings
from paperwire.store import Store
from tests.browse.helpers import calendar_papers


@pytest.fixture
def api(settings: Settings, store: Store) -> Iterator[httpx.Client]:
    from fastapi.testclient import TestClient

    store.upsert_papers(calendar_papers())
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as c:
        yield c


def test_daily_defaults_to_newest_day(api: httpx.Client) -> None:
    data = api.get("/api/daily").json()
    assert data["period"] == {"kind": "day", "label": "2024-02-01", "start": "2024-02-01", "end": "2024-02-01"}
    assert data["state"] == "papers" and data["total"] == 4 and data["count"] == 4
    assert {p["announced"] for p in data["papers"]} == {"2024-02-01"}
    assert data["previous"]["label"] == "2024-01-15" and data["next"] is None
    assert data["links"]["previous_period"] == "/api/daily?date=2024-01-15"


def test_daily_day_week_month(api: httpx.Client) -> None:
    day = api.get("/api/daily", params={"date": "2024-01-09"}).json()
    assert sorted(p["id"] for p in day["papers"]) == ["2401.00003", "2401.00004", "2401.00005"]
    assert (day["previous"]["label"], day["next"]["label"]) == ("2024-01-08", "2024-01-11")
    week = api.get("/api/daily", params={"week": "2024-W03"}).json()
    assert week["period"]["start"] == "2024-01-15" and week["total"] == 2
    assert week["previous"]["label"] == "2024-W02" and week["next"]["label"] == "2024-W05"
    month = api.get("/api/daily", params={"month": "2024-01"}).json()
    assert month["total"] == 8 and month["category_counts"]["cs.LG"] == 4
    saturday = api.get("/api/daily", params={"date": "2024-01-13"}).json()
    assert saturday["state"] == "no_announcement" and saturday["papers"] == []
    future = api.get("/api/daily", params={"date": "2999-01-01"}).json()
    assert future["state"] == "future"


def test_daily_filters(api: httpx.Client) -> None:
    data = api.get("/api/daily", params={"month": "2024-01", "category": "math.OC"}).json()
    assert data["total"] == 4 and all("math.OC" in p["categories"] for p in data["papers"])
    both = api.get("/api/daily", params={"month": "2024-01", "category": "math.OC,cs.CV"}).json()
    repeated = api.get("/api/daily", params=[("month", "2024-01"), ("category", "math.OC"), ("category", "cs.CV")]).json()
    assert both["total"] == repeated["total"] == 8
    code = api.get("/api/daily", params={"month": "2024-01", "has_code": "true"}).json()
    assert code["papers"] and all(p["has_code"] for p in code["papers"])
    no_code = api.get("/api/daily", params={"month": "2024-01", "has_code": "false"}).json()
    assert code["total"] + no_code["total"] == 8


def test_cursor_pages_are_disjoint_and_complete(api: httpx.Client) -> None:
    ids: list[str] = []
    url: str | None = "/api/daily?month=2024-01&limit=3"
    pages = 0
    while url:
        data = api.get(url).json()
        ids.extend(p["id"] for p in data["papers"])
        url = data["links"]["next_page"]
        pages += 1
        if url:
            assert "cursor=" + data["next_cursor"] in url.replace("%3D", "=")
    assert pages == 3 and len(ids) == len(set(ids)) == 8


def test_trending(api: httpx.Client) -> None:
    day = api.get("/api/trending").json()
    assert day["total"] == 4 and "newest first" in day["ranking"]
    month = api.get("/api/trending", params={"period": "month", "limit": 5}).json()
    assert month["total"] == 12 and month["count"] == 5 and month["next_cursor"]
    nxt = api.get("/api/trending", params={"period": "month", "limit": 5, "cursor": month["next_cursor"]}).json()
    assert not {p["id"] for p in month["papers"]} & {p["id"] for p in nxt["papers"]}


def test_author_and_category(api: httpx.Client) -> None:
    author = api.get("/api/authors/grace hopper").json()
    assert author["total"] == 2 and author["author"] == "grace hopper"
    assert api.get("/api/authors/Nobody%20At%20All").status_code == 404
    cat = api.get("/api/categories/math.OC", params={"limit": 2}).json()
    assert cat["category"]["name"] == "Optimization and Control" and cat["total"] == 5
    assert cat["count"] == 2 and cat["next_cursor"]
    # A real arXiv category we hold nothing of is an empty listing, not a 404.
    empty = api.get("/api/categories/q-bio.NC")
    assert empty.status_code == 200 and empty.json()["papers"] == []
    listing = api.get("/api/categories").json()["categories"]
    assert {"code": "cs.LG", "name": "Machine Learning", "group": "Computer Science", "known": True, "papers": 5} in listing


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/daily?date=2024-02-30", "date"),
        ("/api/daily?date=today", "date"),
        ("/api/daily?week=2024-W60", "week"),
        ("/api/daily?month=2024-13", "month"),
        ("/api/daily?date=2024-01-01&week=2024-W01", "week"),
        ("/api/daily?limit=0", "limit"),
        ("/api/daily?limit=201", "limit"),
        ("/api/daily?limit=many", "limit"),
        ("/api/daily?cursor=garbage", "cursor"),
        ("/api/daily?has_code=perhaps", "has_code"),
        ("/api/daily?category=%3Cscript%3E", "category"),
        ("/api/trending?period=year", "period"),
        ("/api/authors/x?limit=-1", "limit"),
        ("/api/categories/cs.LG?cursor=eyJ4IjoxfQ", "cursor"),
    ],
)
def test_bad_parameters_are_json_400_naming_them(api: httpx.Client, url: str, parameter: str) -> None:
    r = api.get(url)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["status"] == 400 and body["error"].startswith(parameter + ":")


@pytest.mark.parametrize("url", ["/api/categories/xx.YY", "/api/categories/%3Cb%3E", "/api/authors/%20"])
def test_unknown_things_are_json_404(api: httpx.Client, url: str) -> None:
    r = api.get(url)
    assert r.status_code in (400, 404) and r.json()["status"] == r.status_code
    if "categories" in url:
        assert r.status_code == 404


def test_openapi_documents_the_browse_api(api: httpx.Client) -> None:
    paths = api.get("/api/openapi.json").json()["paths"]
    for path in ("/api/daily", "/api/trending", "/api/authors/{name}", "/api/categories/{category}"):
        assert path in paths
    names = {p["name"] for p in paths["/api/daily"]["get"]["parameters"]}
    assert {"date", "week", "month", "category", "has_code", "cursor", "limit"} <= names
    assert api.get("/api/docs").status_code == 200
