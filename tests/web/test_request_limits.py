"""The work one request can cause is bounded, through the real app on both backends:
too many search exclusions are a 400, a query past ``PAPERWIRE_QUERY_TIMEOUT`` a 503
with Retry-After, and a body over ``PAPERWIRE_MAX_BODY_BYTES`` a 413 without reading it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.config import Settings
from paperwire.search.embed import HashEmbedder
from paperwire.search.index import index_papers
from paperwire.search.query import MAX_EXCLUSIONS
from paperwire.store import Store, open_store
from tests.store.test_query_timeout import HEAVY, PAPERS, papers


@pytest.fixture
def filled_url(database_url: str) -> str:
    """Synthetic papers, embedded, so that every search mode has work to do."""
    store = open_store(database_url)
    try:
        store.upsert_papers(papers("2401", PAPERS))
        index_papers(store, HashEmbedder(), batch_size=1000)
    finally:
        store.close()
    return database_url


def settings_for(url: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        database_url=url, data_dir=tmp_path / "data", load_sample=False, embedder="hash", **extra
    )


@pytest.fixture
def client(filled_url: str, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(settings_for(filled_url, tmp_path), embedder=HashEmbedder())
    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1") as c:
        yield c


# --- exclusions ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
def test_too_many_exclusions_are_a_400(client: TestClient, mode: str) -> None:
    words = [f"w{i}" for i in range(MAX_EXCLUSIONS + 1)]
    allowed = "graph networks " + " ".join("-" + w for w in words[:MAX_EXCLUSIONS])
    r = client.get("/api/search", params={"q": allowed, "mode": mode, "limit": 100})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    # Each paper's abstract ends in one of w0…w59: the twenty excluded ones are gone.
    assert results and all(x["abstract"].split()[-1] not in words[:MAX_EXCLUSIONS] for x in results)
    plain = client.get("/api/search", params={"q": "graph networks", "mode": mode, "limit": 100})
    assert any(x["abstract"].split()[-1] in words[:MAX_EXCLUSIONS] for x in plain.json()["results"])

    too_many = "graph networks " + " ".join("-" + w for w in words)
    r = client.get("/api/search", params={"q": too_many, "mode": mode})
    assert r.status_code == 400
    assert r.json() == {
        "error": f"q: too many excluded words: {MAX_EXCLUSIONS + 1} (at most {MAX_EXCLUSIONS})",
        "status": 400,
    }
    page = client.get("/search", params={"q": too_many, "mode": mode})
    assert page.status_code == 400 and "too many excluded words" in page.text


# --- statement deadline ----------------------------------------------------------------


def test_a_query_past_the_deadline_answers_503_with_retry_after(
    filled_url: str, tmp_path: Path
) -> None:
    # The app opens its own store from the settings, with their deadline: 1 µs
    # (PostgreSQL: 1 ms), far below what ranking every paper against 63 words takes.
    app = create_app(settings_for(filled_url, tmp_path, query_timeout=1e-6), embedder=HashEmbedder())
    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1") as c:
        r = c.get("/api/search", params={"q": HEAVY, "mode": "keyword"})
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "5"
        assert r.json() == {"error": "The database is busy; please try again shortly.", "status": 503}
        page = c.get("/search", params={"q": HEAVY, "mode": "keyword"})
        assert page.status_code == 503 and page.headers["retry-after"] == "5"
        assert page.headers["content-type"].startswith("text/html")
        assert "The database is busy" in page.text
        assert "content-security-policy" in page.headers


def test_without_a_deadline_the_same_query_answers(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": HEAVY, "mode": "keyword", "limit": 100})
    assert r.status_code == 200 and len(r.json()["results"]) == 100


# --- request bodies --------------------------------------------------------------------

CAP = 4096


@pytest.fixture
def small_cap_app(sqlite_url: str, sqlite_store: Store, tmp_path: Path) -> FastAPI:
    """The real app with a 4 KiB body cap, plus one route that reads its body, as the
    POST routes to come will (none reads one yet)."""
    app = create_app(settings_for(sqlite_url, tmp_path, max_body_bytes=CAP), store=sqlite_store)

    async def echo_length(request: Request) -> JSONResponse:
        return JSONResponse({"read": len(await request.body())})

    app.router.add_route("/api/echo-length", echo_length, methods=["POST"])
    return app


def post(app: FastAPI, path: str, content: bytes | AsyncIterator[bytes]) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.post(path, content=content)

    # On a thread of its own: the browser tests' Playwright fixture keeps an event loop
    # running on the main thread, where asyncio.run refuses to start another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


def test_a_declared_body_over_the_cap_is_a_413(small_cap_app: FastAPI) -> None:
    assert post(small_cap_app, "/api/echo-length", b"x" * CAP).json() == {"read": CAP}
    r = post(small_cap_app, "/api/echo-length", b"x" * (CAP + 1))
    assert r.status_code == 413
    assert r.json() == {"error": f"request body too large (at most {CAP} bytes)", "status": 413}
    assert r.headers["connection"] == "close"
    # Any route, whether or not it takes a body: the cap answers before routing.
    page = post(small_cap_app, "/about", b"x" * (CAP + 1))
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in page.headers
    assert post(small_cap_app, "/about", b"x" * CAP).status_code == 405


def test_a_streamed_body_is_cut_off_at_the_cap(small_cap_app: FastAPI) -> None:
    sent: list[int] = []

    async def chunks(count: int) -> AsyncIterator[bytes]:
        for i in range(count):
            sent.append(i)
            yield b"y" * 1000

    r = post(small_cap_app, "/api/echo-length", chunks(4))  # no Content-Length: chunked
    assert r.status_code == 200 and r.json() == {"read": 4000}

    sent.clear()
    r = post(small_cap_app, "/api/echo-length", chunks(10_000))  # 10 MB offered
    assert r.status_code == 413
    assert r.json()["error"] == f"request body too large (at most {CAP} bytes)"
    assert len(sent) == 5  # read up to the first chunk past the cap, no further
