"""The site knows its own address: absolute links come from PAPERWIRE_BASE_URL, and a
request naming another host is a 400 before any route (or cache) sees it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from paperwire.app import create_app
from paperwire.config import Settings
from paperwire.models import Author, Paper
from paperwire.store import Store
from paperwire.web.hosts import host_name
from tests.conftest import migrated_sqlite

ATOM = "{http://www.w3.org/2005/Atom}"
PAPER = Paper(
    id="2612.00001",
    title="Hosts",
    authors=[Author("Ada Lovelace")],
    categories=["cs.CR"],
    submitted=datetime(2026, 12, 1, tzinfo=UTC),
    announced=date(2026, 12, 2),
)
PUBLIC = "https://papers.example.org/wire"


def _client(settings: Settings, store: Store) -> Iterator[httpx.Client]:
    from fastapi.testclient import TestClient

    store.upsert_papers([PAPER])
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def site(settings: Settings, store: Store) -> Iterator[httpx.Client]:
    """The app with the test settings: base URL http://testserver, default hosts."""
    yield from _client(settings, store)


@pytest.fixture
def any_host(settings: Settings, store: Store) -> Iterator[httpx.Client]:
    """``PAPERWIRE_ALLOWED_HOSTS=*`` and a public base URL with a path."""
    yield from _client(settings.model_copy(update={"allowed_hosts": "*", "base_url": PUBLIC}), store)


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:80", "testserver.evil.example", "", "a b", "x@testserver",
     "testserver:port", "[::2]:8000"],
)
def test_other_host_is_a_400_in_the_usual_shape(site: httpx.Client, host: str) -> None:
    api = site.get("/api/daily", headers={"host": host})
    assert api.status_code == 400
    assert api.json()["status"] == 400 and "Host" in api.json()["error"]
    page = site.get("/", headers={"host": host})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "does not answer" in page.text
    assert "content-security-policy" in page.headers  # answered inside the security headers
    feed = site.get("/feeds/daily.atom", headers={"host": host})
    assert feed.status_code == 400 and "evil.example/papers" not in feed.text


@pytest.mark.parametrize(
    "host", ["testserver", "TESTSERVER", "testserver:8080", "testserver.", "localhost:8000",
             "127.0.0.1:9", "[::1]:8000"],
)
def test_own_host_with_any_port_is_served(site: httpx.Client, host: str) -> None:
    assert site.get("/api/daily", headers={"host": host}).status_code == 200


def test_feed_links_come_from_the_base_url_not_the_host(any_host: httpx.Client) -> None:
    r = any_host.get("/feeds/daily.atom?category=cs.CR", headers={"host": "evil.example"})
    assert r.status_code == 200
    assert "evil.example" not in r.text
    root = ET.fromstring(r.content)
    assert root.findtext(f"{ATOM}id") == f"{PUBLIC}/feeds/daily.atom?category=cs.CR"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {
        "self": f"{PUBLIC}/feeds/daily.atom?category=cs.CR",
        "alternate": f"{PUBLIC}/?category=cs.CR",
    }
    assert root.findtext(f"{ATOM}entry/{ATOM}id") == f"{PUBLIC}/papers/2612.00001"
    category = any_host.get("/feeds/categories/cs.CR.atom", headers={"host": "evil.example"})
    assert f'href="{PUBLIC}/categories/cs.CR"' in category.text
    assert "evil.example" not in category.text


def test_markdown_link_comes_from_the_base_url(any_host: httpx.Client) -> None:
    for path in ("/papers/2612.00001.md", "/hf/papers/2612.00001.md"):
        r = any_host.get(path, headers={"host": "evil.example"})
        assert r.status_code == 200
        assert f"({PUBLIC}/papers/2612.00001)" in r.text and "evil.example" not in r.text


def test_subdomain_wildcard(settings: Settings, store: Store) -> None:
    allowed = settings.model_copy(update={"allowed_hosts": "*.example.org, testserver"})
    for client in _client(allowed, store):
        assert client.get("/healthz", headers={"host": "a.example.org"}).status_code == 200
        assert client.get("/healthz", headers={"host": "a.b.example.org:443"}).status_code == 200
        assert client.get("/healthz", headers={"host": "example.org"}).status_code == 400
        assert client.get("/healthz", headers={"host": "evilexample.org"}).status_code == 400
        assert client.get("/healthz").status_code == 200


def test_trusted_hosts_default_to_the_base_url_host_and_loopback() -> None:
    s = Settings(base_url="https://Papers.Example.org:8443/wire")
    assert s.trusted_hosts() == sorted({"papers.example.org", "localhost", "127.0.0.1", "::1"})
    assert Settings(allowed_hosts="a.org, B.org").trusted_hosts() == ["a.org", "b.org"]


def test_host_name() -> None:
    assert host_name("Example.ORG:8000") == "example.org"
    assert host_name("[::1]:8000") == "::1"
    assert host_name("example.org.") == "example.org"
    for bad in ("", "a b", "u@host", "host:", "host:123456", "[::1", "a/b"):
        assert host_name(bad) is None, bad


def test_live_server_refuses_a_forged_host(tmp_path: Path) -> None:
    """Through uvicorn, as deployed: the Host header a client sends is what is checked."""
    from tests.live_server import live_server

    with live_server(migrated_sqlite(tmp_path, "hosts.db")) as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
        forged = httpx.get(f"{base}/feeds/daily.atom", headers={"host": "evil.example"})
        assert forged.status_code == 400
        assert "evil.example/papers" not in forged.text
        feed = httpx.get(f"{base}/feeds/daily.atom")
        assert feed.status_code == 200 and f"<id>{base}/feeds/daily.atom</id>" in feed.text
