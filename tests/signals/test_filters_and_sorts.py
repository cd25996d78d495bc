"""The stars filter and the stars order, on both backends, through the one filter
language and the listing and search functions every route calls: ``min_stars``
(parse_filters, store/filters.py), ``sort=stars`` for a day, week or month and for
search, and what the routes answer to bad values."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.browse.filters import parse_filters
from paperwire.browse.listing import papers_for_range
from paperwire.browse.periods import day_period, week_period
from paperwire.config import Settings
from paperwire.errors import InvalidParameter
from paperwire.models import Link, SearchFilters
from paperwire.search.service import search_papers
from paperwire.store import Store
from tests.browse.helpers import paper_on

DAY = date(2025, 1, 6)
NOW = datetime(2025, 1, 7, 8, 0, tzinfo=UTC)
# paper number → (repository, stars, status); 4 has a repository GitHub calls gone,
# 5 one never fetched, 6 no code at all.
REPOS = {
    1: ("lab/one", 50, "ok"),
    2: ("lab/two", 900, "ok"),
    3: ("lab/three", 120, "ok"),
    4: ("lab/four", 5000, "gone"),
    5: ("lab/five", None, "new"),
}


def fill(store: Store) -> None:
    papers = []
    for n in range(1, 7):
        paper = replace(paper_on(DAY, n), title=f"Sparse attention kernels, part {n}")
        if n in REPOS:
            paper = replace(paper, links=[Link("code", f"https://github.com/{REPOS[n][0]}")])
        papers.append(paper)
    papers.append(
        replace(
            paper_on(DAY + timedelta(days=1), 7), links=[Link("code", "https://github.com/lab/one")]
        )
    )
    store.upsert_papers(papers)
    for name, stars, status in REPOS.values():
        if status == "new":
            continue
        repo = store.get_repository(name)
        assert repo is not None
        store.save_repository(
            replace(repo, status=status, stars=stars, checked_at=NOW), day=NOW.date()
        )


def ids(papers: list) -> list[str]:  # type: ignore[type-arg]
    return [p.id for p in papers]


def test_min_stars_is_one_filter_everywhere(store: Store) -> None:
    fill(store)
    listed = store.list_papers(start=DAY, end=DAY, filters=SearchFilters(min_stars=100))
    assert ids(listed) == ["2501.00003", "2501.00002"]  # gone and unfetched repositories have none
    assert store.count_listed(start=DAY, end=DAY, filters=SearchFilters(min_stars=0)) == 3
    hits = search_papers(
        store, None, "sparse attention", mode="keyword", filters=SearchFilters(min_stars=100)
    )
    assert {h.paper_id for h in hits} == {"2501.00002", "2501.00003"}


@pytest.mark.parametrize(
    ("value", "expected"), [("", None), (" 25 ", 25), (0, 0), ("1000000000", 10**9)]
)
def test_min_stars_as_typed(value: str | int, expected: int | None) -> None:
    assert parse_filters(min_stars=value).min_stars == expected


@pytest.mark.parametrize("value", ["abc", "-1", "1e3", "٣", "10000000000000000000000", -5])
def test_bad_min_stars_names_the_parameter(value: str | int) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_filters(min_stars=value)
    assert caught.value.parameter == "min_stars"


def test_a_day_by_stars_pages_every_paper_once(store: Store) -> None:
    fill(store)
    seen: list[str] = []
    cursor = None
    while True:
        listing = papers_for_range(store, day_period(DAY), limit=2, cursor=cursor, sort="stars")
        seen += ids(listing.papers)
        cursor = listing.next_cursor
        if cursor is None:
            break
    # Most stars first; then the rest as the daily list orders them (newest id first).
    assert seen == [
        "2501.00002",
        "2501.00003",
        "2501.00001",
        "2501.00006",
        "2501.00005",
        "2501.00004",
    ]
    week = papers_for_range(
        store, week_period(DAY), sort="stars", filters=SearchFilters(min_stars=1)
    )
    # Equal stars: the newer day first.
    assert ids(week.papers) == ["2501.00002", "2501.00003", "2501.00007", "2501.00001"]
    with pytest.raises(InvalidParameter, match="sort"):
        papers_for_range(store, day_period(DAY), sort="likes")


def test_search_by_stars(store: Store) -> None:
    fill(store)
    hits = search_papers(
        store, None, "sparse attention kernels", mode="keyword", sort="stars", limit=10
    )
    assert [h.paper_id for h in hits][:3] == ["2501.00002", "2501.00003", "2501.00001"]
    assert len(hits) == 6


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[httpx.Client]:
    fill(store)
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as c:
        yield c


def test_routes_take_the_sort_and_the_filter(client: httpx.Client) -> None:
    body = client.get(
        "/api/daily", params={"date": DAY.isoformat(), "sort": "stars", "limit": 2}
    ).json()
    assert [p["id"] for p in body["papers"]] == ["2501.00002", "2501.00003"]
    following = client.get(body["links"]["next_page"]).json()
    assert [p["id"] for p in following["papers"]] == ["2501.00001", "2501.00006"]
    filtered = client.get("/api/daily", params={"date": DAY.isoformat(), "min_stars": "100"}).json()
    assert [p["id"] for p in filtered["papers"]] == ["2501.00003", "2501.00002"]
    search = client.get(
        "/api/search", params={"q": "sparse attention", "mode": "keyword", "sort": "stars"}
    )
    assert search.status_code == 200 and search.json()["results"][0]["id"] == "2501.00002"
    page = client.get("/", params={"date": DAY.isoformat(), "sort": "stars"}).text
    assert page.index("part 2") < page.index("part 3") < page.index("part 1") < page.index("part 6")
    assert '<option value="stars" selected>' in page
    assert (
        client.get("/search", params={"q": "sparse", "min_stars": "", "sort": "stars"}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/api/daily", {"sort": "likes"}, "sort"),
        ("/api/daily", {"min_stars": "many"}, "min_stars"),
        ("/api/search", {"q": "x", "sort": "likes"}, "sort"),
        ("/api/search", {"q": "x", "min_stars": "-3"}, "min_stars"),
    ],
)
def test_bad_values_are_400_naming_them(
    client: httpx.Client, path: str, params: dict[str, str], parameter: str
) -> None:
    answer = client.get(path, params=params)
    assert answer.status_code == 400
    assert parameter in answer.json()["error"]


def test_listings_carry_each_papers_stars(client: httpx.Client) -> None:
    body = client.get("/api/daily", params={"date": DAY.isoformat(), "sort": "stars"}).json()
    assert [(p["id"], p["stars"]) for p in body["papers"]] == [
        ("2501.00002", 900),
        ("2501.00003", 120),
        ("2501.00001", 50),
        ("2501.00006", None),
        ("2501.00005", None),
        ("2501.00004", None),  # gone: its stars are not shown
    ]
