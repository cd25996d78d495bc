"""Each route declares its error format and cache policy once, where it is
(``web/routing.py``): what the error handlers, the middleware answering before routing
and the response cache do follows from that declaration, never from lists of paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.config import Settings
from paperwire.store import Store
from paperwire.web.routing import Cache, ErrorFormat, PolicyRoute
from tests.conftest import TEST_BASE_URL


@pytest.fixture
def app(sqlite_url: str, sqlite_store: Store, tmp_path: Path) -> FastAPI:
    settings = Settings(
        database_url=sqlite_url,
        data_dir=tmp_path / "data",
        load_sample=False,
        embedder="hash",
        base_url=TEST_BASE_URL,
    )
    return create_app(settings, store=sqlite_store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def table_routes(app: FastAPI) -> list[PolicyRoute]:
    return [route for router in app.state.route_table.routers for route in router.routes]


def test_every_route_comes_from_the_route_table_and_declares_its_policy(app: FastAPI) -> None:
    routes = table_routes(app)
    assert routes and all(isinstance(route, PolicyRoute) for route in routes)
    # Nothing is included beside the table (FastAPI's own schema route aside), so no
    # route escapes the declarations.
    included = {
        id(context.endpoint)
        for context in iter_route_contexts(app.routes)
        if context.endpoint is not None and not context.endpoint.__module__.startswith("fastapi.")
    }
    assert included == {id(route.endpoint) for route in routes}


def test_cache_policies(app: FastAPI) -> None:
    declared = {route.path: route.cache for route in table_routes(app) if route.cache is not Cache.NONE}
    assert declared == {
        "/": Cache.PAGE,
        "/trending": Cache.PAGE,
        "/about": Cache.PAGE,
        "/authors/{name:path}": Cache.PAGE,
        "/categories/{category}": Cache.PAGE,
        "/papers/{paper_id:paper_page_id}": Cache.DATA,
        "/papers/{paper_id:path}.md": Cache.DATA,
        "/hf/papers/{paper_id:path}.md": Cache.DATA,
        "/api/papers/{paper_id:path}": Cache.DATA,
        "/api/daily": Cache.DATA,
        "/api/trending": Cache.DATA,
        "/api/authors/{name}": Cache.DATA,
        "/api/categories": Cache.DATA,
        "/api/categories/{category}": Cache.DATA,
        "/feeds/daily.atom": Cache.DATA,
        "/feeds/trending.atom": Cache.DATA,
        "/feeds/categories/{category}.atom": Cache.DATA,
        "/digests/daily/{day}": Cache.PAGE,
        "/digests/weekly/{week}": Cache.PAGE,
        "/feeds/digests/daily.atom": Cache.DATA,
        "/feeds/digests/weekly.atom": Cache.DATA,
    }
    # Search and similar papers also depend on indexes built after the papers.
    assert {"/api/search", "/search", "/feeds/search.atom", "/api/papers/{paper_id:path}/similar"} <= {
        route.path for route in table_routes(app) if route.cache is Cache.NONE
    }


@pytest.mark.parametrize(
    ("method", "url", "status", "errors"),
    [
        ("GET", "/api/no-such-route", 404, ErrorFormat.JSON),  # under a JSON router's prefix
        ("GET", "/hf/api/no-such-route", 404, ErrorFormat.JSON),
        ("GET", "/no-such-page", 404, ErrorFormat.PAGE),
        ("GET", "/hf/no-such-page", 404, ErrorFormat.PAGE),
        ("GET", "/status?days=0", 400, ErrorFormat.JSON),  # a JSON route outside /api
        ("POST", "/healthz", 405, ErrorFormat.JSON),
        ("POST", "/about", 405, ErrorFormat.PAGE),
        ("GET", "/api/docs/assets/nothing.js", 404, ErrorFormat.JSON),
        ("GET", "/feeds/trending.atom?period=year", 400, ErrorFormat.PAGE),
        ("GET", "/hf/papers/2101.99999.md", 404, ErrorFormat.PAGE),
        ("GET", "/api/daily?date=2024-02-30", 400, ErrorFormat.JSON),
        ("GET", "/?date=2024-02-30", 400, ErrorFormat.PAGE),
    ],
)
def test_errors_take_the_format_the_route_declares(
    client: TestClient, method: str, url: str, status: int, errors: ErrorFormat
) -> None:
    r = client.request(method, url)
    assert r.status_code == status, r.text
    if errors is ErrorFormat.JSON:
        assert r.json()["status"] == status
    else:
        assert r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("url", "errors"),
    [("/healthz", ErrorFormat.JSON), ("/status", ErrorFormat.JSON), ("/about", ErrorFormat.PAGE)],
)
def test_answers_before_routing_take_the_format_of_the_route_to_come(
    client: TestClient, url: str, errors: ErrorFormat
) -> None:
    # A forged Host is refused before any route runs; its answer still has the format
    # the route it was for declares.
    r = client.get(url, headers={"host": "evil.example"})
    assert r.status_code == 400
    if errors is ErrorFormat.JSON:
        assert r.json()["status"] == 400
    else:
        assert r.headers["content-type"].startswith("text/html")


def test_a_kept_page_is_served_for_head_and_a_304_for_a_current_validator(client: TestClient) -> None:
    first = client.get("/about")
    assert first.status_code == 200 and len(client.app.state.page_cache) == 1  # type: ignore[attr-defined]
    head = client.head("/about")
    assert head.status_code == 200 and head.content == b""
    again = client.get("/about", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
