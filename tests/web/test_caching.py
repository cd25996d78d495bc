"""ETag / Last-Modified / 304 on pages, feeds and the API, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pytest

from paperwire.app import create_app
from paperwire.config import Settings
from paperwire.models import DataVersion
from paperwire.search.embed import HashEmbedder
from paperwire.search.index import index_papers
from paperwire.store import Store
from paperwire.web.caching import compute_etag, etag_matches, last_modified
from tests.browse.helpers import calendar_papers, paper_on

CACHED_URLS = [
    "/",
    "/api/daily?month=2024-01",
    "/api/trending?period=week",
    "/api/authors/Grace%20Hopper",
    "/api/categories/cs.LG",
    "/api/papers/2401.00001",
    "/feeds/daily.atom",
    "/feeds/trending.atom",
    "/feeds/categories/cs.LG.atom",
    "/papers/2401.00001",
]


@pytest.fixture
def web(settings: Settings, store: Store) -> Iterator[tuple[httpx.Client, Store]]:
    from fastapi.testclient import TestClient

    store.upsert_papers(calendar_papers())
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as c:
        yield c, store


@pytest.mark.parametrize("url", CACHED_URLS)
def test_etag_round_trip(web: tuple[httpx.Client, Store], url: str) -> None:
    client, _ = web
    first = client.get(url)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and first.headers["cache-control"] == "public, max-age=60"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and "last-modified" in again.headers
    other = client.get(url, headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200 and other.content == first.content


def test_last_modified_round_trip(web: tuple[httpx.Client, Store]) -> None:
    client, _ = web
    first = client.get("/api/daily")
    modified = first.headers["last-modified"]
    assert parsedate_to_datetime(modified) <= datetime.now(UTC) + timedelta(seconds=1)
    assert client.get("/api/daily", headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(days=2), usegmt=True)
    assert client.get("/api/daily", headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get("/api/daily", headers={"If-Modified-Since": "not a date"}).status_code == 200


def test_a_change_to_the_papers_changes_the_validator(web: tuple[httpx.Client, Store]) -> None:
    client, store = web
    first = client.get("/api/daily?month=2024-01")
    store.upsert_papers([paper_on(date(2024, 1, 20), 50)])
    after = client.get("/api/daily?month=2024-01", headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
    assert after.json()["total"] == first.json()["total"] + 1


def test_indexing_embeddings_changes_the_paper_pages_validator(
    web: tuple[httpx.Client, Store],
) -> None:
    # A paper page shows similar papers, found through embeddings written after the
    # papers: a client holding the page from before must not be told 304.
    client, store = web
    first = client.get("/papers/2401.00001")
    assert first.status_code == 200 and "No similar papers found yet." in first.text
    before = store.data_version()
    index_papers(store, HashEmbedder())
    assert store.data_version().version > before.version
    after = client.get("/papers/2401.00001", headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
    assert "No similar papers found yet." not in after.text
    assert client.get(
        "/papers/2401.00001", headers={"If-None-Match": after.headers["etag"]}
    ).status_code == 304


def test_validators_differ_per_url_and_cookie(web: tuple[httpx.Client, Store]) -> None:
    client, _ = web
    a = client.get("/api/daily?month=2024-01").headers["etag"]
    b = client.get("/api/daily?month=2024-02").headers["etag"]
    assert a != b
    with_cookie = client.get("/api/daily?month=2024-01", headers={"Cookie": "session=abc"})
    assert with_cookie.headers["etag"] != a
    assert with_cookie.headers["cache-control"] == "private, no-cache"
    assert "Cookie" in with_cookie.headers["vary"]


def test_errors_and_uncached_routes_carry_no_validator(web: tuple[httpx.Client, Store]) -> None:
    client, _ = web
    assert "etag" not in client.get("/api/papers/2401.99999").headers  # 404
    assert "etag" not in client.get("/api/daily?date=bad").headers  # 400
    assert "etag" not in client.get("/healthz").headers
    assert "etag" not in client.get("/api/openapi.json").headers
    # A 304 is never produced for a URL that does not answer 200.
    assert client.get("/api/papers/2401.99999", headers={"If-None-Match": "*"}).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/api/search?q=paper&mode=keyword",
        "/search?q=paper&mode=keyword",
        "/api/papers/2401.00001/similar",
        "/feeds/search.atom?q=paper",
        "/healthz",
        "/status",
        "/hf/api/daily_papers",
        "/api/docs",
    ],
)
def test_routes_declared_without_a_cache_policy_carry_no_validator(
    web: tuple[httpx.Client, Store], url: str
) -> None:
    # Search results also depend on the keyword index, which bumps no data version.
    client, _ = web
    r = client.get(url)
    assert r.status_code == 200, r.text
    assert "etag" not in r.headers and "last-modified" not in r.headers


def test_validator_helpers() -> None:
    version = DataVersion(7, datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=UTC))
    tag = compute_etag(version, today="2024-01-02", url="/api/daily", cookie=b"")
    assert tag == compute_etag(version, today="2024-01-02", url="/api/daily", cookie=b"")
    assert tag != compute_etag(version, today="2024-01-03", url="/api/daily", cookie=b"")
    assert etag_matches(f'"x", {tag}', tag) and etag_matches(tag.removeprefix("W/"), tag)
    assert not etag_matches("*", tag) and not etag_matches('"x"', tag)
    # Day states change at midnight even when the data does not.
    later = datetime(2024, 1, 5, 9, tzinfo=UTC)
    assert last_modified(version, later) == datetime(2024, 1, 5, tzinfo=UTC)
    assert last_modified(version, datetime(2024, 1, 2, 9, tzinfo=UTC)).microsecond == 0
