"""No request makes the site answer 5xx: every GET route of the app, with arbitrary
strings and integers in every path and query parameter, on both backends.

Routes and their parameters are read from the app itself (``app.routes`` and each
route's dependencies), so a route added later is covered without touching this file.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.routing import BaseRoute, Route

from paperwire.app import create_app
from paperwire.browse.cursor import encode_cursor
from paperwire.config import Settings
from paperwire.models import Author, Paper
from paperwire.search.embed import HashEmbedder
from paperwire.search.index import index_papers
from paperwire.store import Store

EXAMPLES_PER_PARAMETER = 4
# Servers refuse longer request lines (uvicorn's h11 buffers 16 KiB), so longer URLs
# never reach the app.
MAX_URL = 16_000
_PATH_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


class Raw(str):
    """Text sent as it is (already percent-encoded): bytes a client could send that are
    not UTF-8, e.g. ``%FF`` or an encoded lone surrogate."""


def edge_papers() -> list[Paper]:
    """Papers on the first and last day Python's calendar holds, so navigation, weeks,
    months and trending windows computed from stored days meet both ends."""
    return [
        Paper(
            id=paper_id, title=f"Paper on {day}", abstract="Edge of the calendar.",
            authors=[Author("Edge Author")], categories=["cs.LG"], version=1,
            submitted=datetime(2020, 1, 1, tzinfo=UTC), announced=day, announce_type="new",
        )
        for paper_id, day in (("2001.00001", date.min), ("2001.00002", date.max))
    ]


@pytest.fixture
def hostile_client(settings: Settings, site_store: Store) -> Iterator[TestClient]:
    site_store.upsert_papers(edge_papers())
    index_papers(site_store, HashEmbedder(), batch_size=64)
    allowed = settings.model_copy(update={"allowed_hosts": "testserver"})
    with TestClient(create_app(allowed, store=site_store), raise_server_exceptions=False) as c:
        yield c


def query_names(dependant: Dependant) -> set[str]:
    """The query parameters of a route and of everything it depends on."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= query_names(sub)
    return names


def flat_routes(routes: Sequence[BaseRoute]) -> Iterator[Route]:
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            # This FastAPI keeps an included router whole instead of copying its routes.
            yield from flat_routes(router.routes)


def get_routes(app: FastAPI) -> list[tuple[str, list[str]]]:
    """(path template, [query parameter names]) of every GET route."""
    routes = []
    for route in flat_routes(app.routes):
        if "GET" not in (route.methods or ()):
            continue
        query: list[str] = []
        if isinstance(route, APIRoute):
            query = sorted(query_names(route.dependant))
        routes.append((route.path, query))
    return routes


def _nested_cursor(depth: int) -> str:
    return base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).decode().rstrip("=")


SPECIAL_TEXT = [
    "", " ", "\x00", "a\x00b", "%00", "../", "../../etc/passwd", "..%2F..%2F", "/", "//",
    "9" * 25, "-" + "9" * 25, "18446744073709551616", "9223372036854775808", "-1", "0",
    "１２３", "٣", "1e400", "nan", "true", "false",
    "9999-12-31", "0001-01-01", "0000-01-01", "9999-W52", "9999-W53", "0001-W01",
    "0000-W52", "9999-12", "0001-01", "2024-02-30", "2024-W99", "２０２４-01-01",
    "2101.00001", "2101.00001v2", "hep-th/9901001", "pmid:1", "pmid:" + "9" * 30,
    "2001.00001", "2001.00002", "2611.00666", "cs.LG", "math.OC", "cs", "Grace Hopper",
    "Edge Author", "day", "week", "month", "keyword", "semantic", "hybrid", "date",
    "publishedAt", "trending", "-sparse -attention -x", '"unclosed', "a*", "x" * 5000,
    "\ud7ff\ue000\uffff", "\U0001f600", "<script>", "\u202e", "\r\n", "a" * 301,
    _nested_cursor(100), _nested_cursor(2000), "W1tbW1tbXV1dXV1d",
    encode_cursor((date.max, "2001.00002")), encode_cursor((date.min, "2001.00001")),
    encode_cursor((date(2026, 11, 20), "2611.00021")),
    Raw("%FF"), Raw("%ED%A0%80"), Raw("a%C3"), Raw("%C0%80"),
]

text_values = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.from_regex(r"[0-9]{4}-(W[0-9]{2}|[0-9]{2}(-[0-9]{2})?)", fullmatch=True),
)
int_values = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**20, 10**4000, -(10**20)]),
)
# A third of the values are the known-hostile ones above.
values = st.one_of(st.sampled_from(SPECIAL_TEXT), text_values, int_values.map(str))


def encode(value: str, *, slashes: bool = False) -> str:
    if isinstance(value, Raw):
        return value
    return quote(value, safe="/" if slashes else "")


# Path parameters that are not the one under test get a value the route accepts, so the
# request reaches the parameter that is.
BENIGN = {"paper_id": "2104.12255", "category": "cs.LG", "name": "Grace Hopper", "relative": "site.css"}
# Every parameter of every route meets each of these once, alone, on top of the random
# examples: one bad value per request, so no other parameter's 400 hides it.
SWEEP = [
    "a\x00b", "9" * 25, "-" + "9" * 25, "9999-W52", "9999-12-31", "9999-12", "0001-01-01",
    _nested_cursor(2000), Raw("%FF"), Raw("%ED%A0%80"), "x" * 5000, "../" * 50,
]


def build_url(template: str, path_values: dict[str, str], query: list[tuple[str, str]]) -> str:
    def fill(match: re.Match[str]) -> str:
        value = path_values.get(match[1], BENIGN.get(match[1], "x"))
        return encode(value, slashes=match[2] in ("path", "paper_page_id"))

    path = _PATH_PARAM.sub(fill, template)
    pairs = []
    budget = MAX_URL - len(path)
    for name, value in query:
        pair = f"{quote(name)}={encode(value)}"
        if len(pair) < budget:
            pairs.append(pair)
            budget -= len(pair) + 1
    return path + ("?" + "&".join(pairs) if pairs else "")


def parameters(template: str, query: list[str]) -> list[tuple[str, str]]:
    return [("path", name) for name, _ in _PATH_PARAM.findall(template)] + [("query", q) for q in query]


@st.composite
def requests(
    draw: st.DrawFn, template: str, query: list[str], integers: frozenset[str] = frozenset()
) -> str:
    """One parameter under test gets any value; the others are left out or get any.
    Parameters the schema calls integers mostly get (huge, negative) integers."""
    params = parameters(template, query)
    target = draw(st.sampled_from(params)) if params else None
    path_values: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for kind, name in params:
        pool = st.one_of(int_values.map(str), values) if name in integers else values
        if (kind, name) == target:
            chosen = [draw(pool)]
        elif draw(st.integers(0, 7)) == 0:  # rarely: another's 400 would hide the target
            chosen = draw(st.lists(pool, min_size=1, max_size=2))
        else:
            chosen = []
        if kind == "path" and chosen:
            path_values[name] = chosen[0]
        pairs.extend((name, value) for value in chosen if kind == "query")
    return build_url(template, path_values, pairs)


def sweep_urls(template: str, query: list[str]) -> list[str]:
    urls = []
    for kind, name in parameters(template, query):
        for value in SWEEP:
            if kind == "path":
                urls.append(build_url(template, {name: value}, []))
            else:
                urls.append(build_url(template, {}, [(name, value)]))
    return urls


def test_no_request_answers_5xx(hostile_client: TestClient) -> None:
    app = hostile_client.app
    assert isinstance(app, FastAPI)
    routes = get_routes(app)
    names = {template for template, _ in routes}
    # The enumeration sees every route the OpenAPI schema lists, and the hidden ones.
    schema = app.openapi()
    documented = {path for path, ops in schema["paths"].items() if "get" in ops}
    integers = frozenset(
        param["name"]
        for ops in schema["paths"].values()
        for param in ops.get("get", {}).get("parameters", [])
        if param.get("schema", {}).get("type") == "integer"
    )
    assert {"p", "limit"} <= integers
    assert documented <= {re.sub(r":\w+\}", "}", name) for name in names}
    assert {"/", "/search", "/papers/{paper_id:path}.md", "/static/{relative:path}"} <= names

    def check(url: str) -> None:
        response = hostile_client.get(url)
        assert response.status_code < 500, (url, response.status_code, response.text[:300])
        path = response.request.url.path  # as sent: the client removes dot segments
        if response.status_code >= 400 and path.startswith(("/api/", "/hf/api/")):
            body: Any = response.json()
            assert set(body) == {"error", "status"} and body["status"] == response.status_code

    for template, query in routes:
        for url in sweep_urls(template, query):
            check(url)
    # Each route gets its own examples: drawn from one pool, most routes would see two.
    for template, query in routes:
        hypothesis_settings(
            max_examples=EXAMPLES_PER_PARAMETER * max(1, len(parameters(template, query))),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        )(given(url=requests(template, query, integers))(check))()
