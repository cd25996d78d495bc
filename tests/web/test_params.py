"""One parser for what users type: a bad filter, day or limit gets the same 400, with
the same message naming it, on every page, JSON route and feed that takes it."""

from __future__ import annotations

import html

import httpx
import pytest

FILTERED = [
    "/", "/trending", "/categories/cs.LG", "/api/daily", "/api/trending",
    "/api/authors/Grace%20Hopper", "/api/categories/cs.LG", "/api/search?q=testing",
    "/feeds/daily.atom", "/feeds/trending.atom", "/feeds/categories/cs.LG.atom",
    "/feeds/search.atom?q=testing",
]


def error_of(response: httpx.Response) -> str:
    if response.headers["content-type"].startswith("application/json"):
        return str(response.json()["error"])
    return html.unescape(response.text)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("category=%3Cb%3E", "category: not a category code: '<b>'"),
        ("from=2024-02-30", "from: '2024-02-30' is not a calendar day"),
        ("until=20240301", "until: expected a date like 2024-03-05, 2024-03 or 2024, got '20240301'"),
        ("source=pubchem", "source: must be one of arxiv, medline, got 'pubchem'"),
        ("has_code=perhaps", "has_code: "),
    ],
)
def test_a_bad_filter_is_the_same_400_everywhere(client: httpx.Client, query: str, message: str) -> None:
    for url in FILTERED:
        r = client.get(url + ("&" if "?" in url else "?") + query)
        assert r.status_code == 400, (url, r.text[:200])
        text = error_of(r)
        assert message in text, (url, text[:300])
    # The search page shows the same message beside its form.
    if not query.startswith(("has_code", "source")):
        page = client.get("/search?q=testing&" + query)
        assert page.status_code == 400 and message in html.unescape(page.text)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/daily?date=2024-W01", "date: expected a day as YYYY-MM-DD, got '2024-W01'"),
        ("/?date=2024-W01", "date: expected a day as YYYY-MM-DD, got '2024-W01'"),
        ("/hf/api/daily_papers?date=2024-W01", "date: expected a day as YYYY-MM-DD, got '2024-W01'"),
        # Two caps (limits.py): listings page by cursor, ranked results cost per result.
        ("/api/daily?limit=201", "limit: must be between 1 and 200, got 201"),
        ("/hf/api/daily_papers?limit=101", "limit: must be between 1 and 100, got 101"),
        ("/api/search?q=x&limit=101", "limit: must be between 1 and 100, got 101"),
        ("/api/papers/2101.99999/similar?limit=101", "limit: must be between 1 and 100, got 101"),
        ("/hf/api/papers/search?q=x&limit=101", "limit: must be between 1 and 100, got 101"),
    ],
)
def test_days_and_limits_are_read_alike(client: httpx.Client, url: str, message: str) -> None:
    r = client.get(url)
    assert r.status_code == 400 and message in error_of(r)
