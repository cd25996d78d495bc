"""/papers/{id}.md and /hf/papers/{id}.md in-process on both backends."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from paperwire.models import Author, Link, Paper
from paperwire.web.markdown import escape_markdown, paper_markdown


def test_markdown_on_our_site_and_under_hf(client: httpx.Client) -> None:
    for path in ("/papers/2104.12255.md", "/hf/papers/2104.12255.md", "/papers/2104.12255v1.md"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/markdown")
        assert r.text.startswith("# 0\n") and "Quan Thoi Minh Nguyen" in r.text


def test_markdown_unknown_and_malformed(client: httpx.Client) -> None:
    assert client.get("/papers/2101.99999.md").status_code == 404
    assert client.get("/hf/papers/2101.99999.md").status_code == 404
    assert client.get("/hf/papers/nonsense.md").status_code == 400


def test_html_page_route_still_serves_the_page(client: httpx.Client) -> None:
    r = client.get("/papers/2104.12255")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]


def test_hostile_paper_markdown_has_no_live_markup() -> None:
    paper = Paper(
        id="2501.00001",
        version=2,
        title="<script>alert(1)</script> [click](javascript:alert(1)) *bold*",
        abstract="</textarea><img src=x onerror=alert(1)>",
        authors=[Author("Eve <b>x</b>")],
        categories=["cs.CR"],
        submitted=datetime(2025, 1, 2, tzinfo=UTC),
        links=[Link("code", "javascript:alert(1)"), Link("code", "https://github.com/a/b")],
    )
    text = paper_markdown(paper)
    # Every < and [ from paper text is backslash-escaped: literal text, not markup.
    assert re.search(r"(?<!\\)[<\[]", text.split("## Links")[0].split("\n", 1)[1]) is None
    assert text.startswith("# \\<script\\>alert(1)\\</script\\>")
    assert re.search(r"(?<!\\)\]\(javascript:", text) is None  # only escaped, never a link
    assert "- [Code](https://github.com/a/b)" in text
    assert "- **Id:** `2501.00001` (version 2)" in text


def test_escape_markdown_keeps_the_text_readable() -> None:
    assert escape_markdown("a_b *c* [d]") == "a\\_b \\*c\\* \\[d\\]"
    assert escape_markdown("  many\n spaces ") == "many spaces"
