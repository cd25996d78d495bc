"""In-process tests of the HTML pages, static files, error pages and security headers,
on SQLite and PostgreSQL (the ``settings``/``store`` fixtures are parametrized)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

from tests.web.site_papers import HOSTILE_CODE, HOSTILE_ID


class TagCollector(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def parse_tags(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = TagCollector()
    parser.feed(html)
    return parser.tags


def assert_no_live_markup(html: str) -> None:
    """No inline script, no event handler attribute, no link to a non-http(s) URL."""
    for tag, attrs in parse_tags(html):
        assert tag not in ("iframe", "img", "object", "embed", "b"), (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
        for key in ("href", "src", "action"):
            if key in attrs:
                value = attrs[key].strip().lower()
                assert value.startswith(("/", "https://", "http://", "#")), (tag, attrs)


def assert_security_headers(r: httpx.Response) -> None:
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_paper_page_shows_everything(site_client: httpx.Client) -> None:
    r = site_client.get("/papers/2104.12255v1")
    assert r.status_code == 200
    assert_security_headers(r)
    html = r.text
    assert '<a href="/authors/Quan%20Thoi%20Minh%20Nguyen">Quan Thoi Minh Nguyen</a>' in html
    assert 'href="/categories/cs.CR"' in html
    assert 'href="https://arxiv.org/abs/2104.12255"' in html
    assert 'href="https://arxiv.org/pdf/2104.12255"' in html
    assert "@misc{nguyen2021_12255," in html and "eprint = {2104.12255}" in html
    assert 'data-copy-target="bibtex"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html
    assert 'href="/feeds/categories/cs.CR.atom"' in html


def test_hostile_paper_is_text(site_client: httpx.Client) -> None:
    r = site_client.get(f"/papers/{HOSTILE_ID}")
    assert r.status_code == 200
    html = r.text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<iframe" not in html and "<b onmouseover" not in html
    # The javascript: code link is shown as text, never as a link; data: project link dropped.
    assert f'href="{HOSTILE_CODE}' not in html and "javascript:alert(1)</span>" in html
    assert not re.search(r'href="\s*(javascript|data):', html, re.I)
    assert 'href="https://github.com/example/safe-repo"' in html
    # The DOI stays inside its attribute.
    assert '"><script>' not in html
    assert_no_live_markup(html)


def test_paper_page_errors_are_friendly(site_client: httpx.Client) -> None:
    r = site_client.get("/papers/2101.99999")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "We could not find that page" in r.text and "2101.99999" in r.text
    assert_security_headers(r)
    r = site_client.get("/papers/not-an-id")
    assert r.status_code == 400 and "not-an-id" in r.text


def test_markdown_path_is_left_to_its_own_router(site_client: httpx.Client) -> None:
    """The page route must not swallow /papers/{id}.md (the Markdown view)."""
    from paperwire.web import pages

    for route in pages.router.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None:
            assert not regex.match("/papers/2104.12255.md")
            assert not regex.match("/papers/hep-th/9901001.md")
            assert not regex.match("/papers/2104.12255.md/")
    assert any(
        getattr(r, "path_regex", None) and r.path_regex.match("/papers/hep-th/9901001")
        for r in pages.router.routes
    )


def test_unknown_page_is_friendly_404(site_client: httpx.Client) -> None:
    r = site_client.get("/no/such/page")
    assert r.status_code == 404 and "We could not find that page" in r.text
    assert 'class="skip-link"' in r.text


def test_static_files_are_cached_and_contained(site_client: httpx.Client) -> None:
    r = site_client.get("/static/site.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert "max-age=31536000" in r.headers["cache-control"]
    assert_security_headers(r)
    r = site_client.get("/static/vendor/katex/katex.min.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    r = site_client.get("/static/vendor/katex/fonts/KaTeX_Main-Regular.woff2")
    assert r.status_code == 200 and r.headers["content-type"] == "font/woff2"
    assert site_client.get("/static/vendor/katex/LICENSE").status_code == 200
    for bad in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/", "/static/nope.css"):
        assert site_client.get(bad).status_code == 404, bad


def test_pages_reference_versioned_assets(site_client: httpx.Client) -> None:
    html = site_client.get("/papers/2104.12255").text
    for asset in ("site.css", "site.js", "vendor/katex/katex.min.js",
                  "vendor/katex/contrib/auto-render.min.js", "vendor/katex/katex.min.css"):
        m = re.search(rf'"/static/{re.escape(asset)}\?v=([0-9a-f]{{12}})"', html)
        assert m, asset
        assert site_client.get(f"/static/{asset}").status_code == 200


def test_api_errors_carry_security_headers(site_client: httpx.Client) -> None:
    r = site_client.get("/api/papers/2101.99999")
    assert r.status_code == 404
    assert_security_headers(r)
