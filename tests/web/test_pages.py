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


def h1(html: str) -> str:
    m = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert m, "no h1"
    return m.group(1).strip()


def card_ids(html: str) -> list[str]:
    return re.findall(r'<article class="card" aria-labelledby="t-([^"]+)"', html)


def day_headings(html: str) -> list[tuple[str, str]]:
    """(href, title) of each day heading of the front page, in page order."""
    return re.findall(r'<h2 class="day-heading" id="day-[0-9-]+"><a href="([^"]+)">([^<]+)</a>', html)


def test_front_page_continues_into_earlier_days(site_client: httpx.Client) -> None:
    r = site_client.get("/")
    assert r.status_code == 200
    assert_security_headers(r)
    html = r.text
    assert h1(html) == "Latest papers"
    assert len(card_ids(html)) == 50  # a full page, though the newest day has 4
    headings = day_headings(html)
    assert headings[:3] == [
        ("/?date=2026-11-20", "Friday, 20 November 2026"),
        ("/?date=2026-11-19", "Thursday, 19 November 2026"),
        ("/?date=2026-11-18", "Wednesday, 18 November 2026"),
    ]
    # each day's cards sit under its heading, newest day first
    first_day = html.split('id="day-2026-11-20"')[1].split('<section class="day-group"')[0]
    assert len(card_ids(first_day)) == 4 and "2611.00666" in card_ids(first_day)
    assert '<h3 class="card-title"' in first_day  # card titles rank below the day heading
    assert 'href="/?week=2026-W47"' in html and 'href="/?month=2026-11"' in html
    assert '<link rel="alternate" type="application/atom+xml" title="Daily papers" href="/feeds/daily.atom">' in html
    # the category filter counts the papers of the days shown
    assert re.search(r'<option value="cs.LG">cs.LG — Machine Learning \(([0-9]+)\)</option>', html)
    assert_no_live_markup(html)

    # "More papers" goes on from where the page stopped, without a period
    more = re.search(r'<a class="button secondary" href="([^"]+)" rel="next">More papers</a>', html)
    assert more and more.group(1).startswith("/?cursor=")
    second = site_client.get(more.group(1).replace("&amp;", "&")).text
    assert not set(card_ids(html)) & set(card_ids(second)) and card_ids(second)
    assert "(continued)" not in html


def test_front_page_marks_a_day_that_began_on_the_page_before(site_client: httpx.Client, site_store: object) -> None:
    from datetime import date

    from paperwire.models import Author, Paper

    site_store.upsert_papers(  # type: ignore[attr-defined]
        [Paper(id=f"2611.{900 + i:05d}", title=f"Bulk {i}", authors=[Author("B")],
               categories=["cs.DB"], announced=date(2026, 11, 12)) for i in range(60)]
    )
    html = site_client.get("/").text
    assert day_headings(html)[-1] == ("/?date=2026-11-12", "Thursday, 12 November 2026")
    more = re.search(r'<a class="button secondary" href="([^"]+)" rel="next">More papers</a>', html)
    assert more
    second = site_client.get(more.group(1).replace("&amp;", "&")).text
    first = re.search(r'<h2 class="day-heading"[^>]*><a href="[^"]+">([^<]+)</a>(.*?)</h2>', second)
    assert first and first.group(1) == "Thursday, 12 November 2026" and "(continued)" in first.group(2)
    assert len(card_ids(html)) + len(card_ids(second.split('id="day-2026-10-30"')[0])) == 16 + 60


def test_front_page_filters_continue_too(site_client: httpx.Client) -> None:
    html = site_client.get("/?category=cs.CV&code=1").text
    ids = card_ids(html)
    assert ids and html.count('class="badge badge-code"') == len(ids)
    assert len(day_headings(html)) >= 5  # one coded cs.CV paper a day, across the days
    assert '<option value="cs.CV" selected>' in html
    html = site_client.get("/?category=q-fin.TR").text
    assert "No paper matches these filters here" in html and 'href="/"' in html


def test_daily_page_previous_day_week_and_month(site_client: httpx.Client) -> None:
    html = site_client.get("/?date=2026-11-19").text
    assert h1(html) == "Thursday, 19 November 2026"
    assert len(card_ids(html)) == 3
    assert 'href="/?date=2026-11-18" rel="prev"' in html and 'href="/?date=2026-11-20" rel="next"' in html
    html = site_client.get("/?week=2026-W47").text
    assert h1(html).startswith("Week 2026-W47 (16 Nov")
    assert len(card_ids(html)) == 16
    assert 'href="/?week=2026-W44" rel="prev"' in html  # skips the empty weeks
    html = site_client.get("/?month=2026-10").text
    assert h1(html) == "October 2026" and len(card_ids(html)) == 3


def test_daily_page_states(site_client: httpx.Client) -> None:
    html = site_client.get("/?date=2026-11-21").text  # a Saturday
    assert "arXiv did not announce on this day" in html
    assert 'href="/?date=2026-11-20"' in html
    html = site_client.get("/?date=2099-01-05").text
    assert "This day has not come yet" in html
    html = site_client.get("/?date=2026-11-19&category=math.AG").text
    assert "No paper matches these filters here" in html


def test_daily_page_filters(site_client: httpx.Client) -> None:
    html = site_client.get("/?week=2026-W47&category=cs.CV").text
    ids = card_ids(html)
    assert len(ids) == 10
    assert '<option value="cs.CV" selected>' in html
    html = site_client.get("/?week=2026-W47&category=cs.CV&code=1").text
    assert len(card_ids(html)) == 5 and html.count('class="badge badge-code"') == 5
    assert 'href="/feeds/categories/cs.CV.atom"' in html


def test_daily_page_bad_input_is_a_friendly_400(site_client: httpx.Client) -> None:
    for url, word in [
        ("/?date=2026-13-01", "date"),
        ("/?date=yesterday", "date"),
        ("/?week=2026-W60", "week"),
        ("/?date=2026-11-20&month=2026-11", "month"),
        ("/?category=%3Cscript%3E", "category"),
        ("/?cursor=AAAA", "cursor"),
        ("/?code=maybe", "code"),
    ]:
        r = site_client.get(url)
        assert r.status_code == 400, url
        assert "text/html" in r.headers["content-type"] and word in r.text, url
        assert "<script>" not in r.text


def test_daily_page_pagination(site_client: httpx.Client, site_store: object) -> None:
    from datetime import date

    from paperwire.models import Author, Paper

    day = date(2026, 11, 12)
    site_store.upsert_papers(  # type: ignore[attr-defined]
        [Paper(id=f"2611.{900 + i:05d}", title=f"Bulk {i}", authors=[Author("B")],
               categories=["cs.DB"], announced=day) for i in range(60)]
    )
    html = site_client.get("/?date=2026-11-12").text
    first = card_ids(html)
    assert len(first) == 50
    more = re.search(r'<a class="button secondary" href="([^"]+)" rel="next">More papers</a>', html)
    assert more
    second = card_ids(site_client.get(more.group(1).replace("&amp;", "&")).text)
    assert len(second) == 10 and not set(first) & set(second)


def test_rendered_pages_follow_data_changes(site_client: httpx.Client, site_store: object) -> None:
    from paperwire.models import Author, Paper
    from tests.web.site_papers import NEWEST_DAY

    before = site_client.get("/").text
    assert "A paper added later" not in before
    site_store.upsert_papers(  # type: ignore[attr-defined]
        [Paper(id="2611.77777", title="A paper added later", authors=[Author("Late")],
               categories=["cs.AI"], announced=NEWEST_DAY)]
    )
    after = site_client.get("/").text
    assert "A paper added later" in after
    newest_day = after.split('id="day-2026-11-20"')[1].split('<section class="day-group"')[0]
    assert len(card_ids(newest_day)) == 5


def test_trending_page(site_client: httpx.Client) -> None:
    html = site_client.get("/trending").text
    assert h1(html) == "Trending today" and len(card_ids(html)) == 4
    assert '<ol class="card-list ranked">' in html
    assert '/feeds/trending.atom' in html
    html = site_client.get("/trending?period=week").text
    assert h1(html) == "Trending this week" and len(card_ids(html)) == 16
    assert '<a href="/trending?period=week" aria-current="page">This week</a>' in html
    html = site_client.get("/trending?period=month").text
    assert len(card_ids(html)) == 19
    r = site_client.get("/trending?period=year")
    assert r.status_code == 400 and "period" in r.text


def test_author_page(site_client: httpx.Client) -> None:
    html = site_client.get("/authors/Grace%20Hopper").text
    assert h1(html) == "Grace Hopper" and len(card_ids(html)) == 18
    assert "18 papers, newest first." in html
    html = site_client.get("/authors/Nobody%20Here").text
    assert "No papers by this author" in html
    # A hostile author name is text on its own page too.
    r = site_client.get("/authors/%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E%22")
    assert r.status_code == 200 and "2611.00666" in card_ids(r.text)
    assert_no_live_markup(r.text)


def test_category_page(site_client: httpx.Client) -> None:
    html = site_client.get("/categories/cs.CV").text
    assert "Computer Vision and Pattern Recognition" in h1(html)
    ids = card_ids(html)
    dated_cv = {f"2611.{i * 10 + j:05d}" for i in range(6) for j in (1, 3)}
    assert dated_cv <= set(ids) and all(i.startswith("2611.") or "-" in i or "." in i for i in ids)
    assert 'href="/feeds/categories/cs.CV.atom"' in html
    with_code = card_ids(site_client.get("/categories/cs.CV?code=1").text)
    assert {f"2611.{i * 10 + 1:05d}" for i in range(6)} <= set(with_code) < set(ids)
    assert site_client.get("/categories/%3Cx%3E").status_code == 400


def test_about_page_explains_ranking(site_client: httpx.Client) -> None:
    from paperwire.community.trending import TRENDING_DESCRIPTION

    html = site_client.get("/about").text
    assert h1(html) == "About paperwire"
    assert TRENDING_DESCRIPTION.split(":")[0] in html


def test_page_cache_serves_same_bytes_and_skips_what_it_must(site_client: httpx.Client) -> None:
    cache = site_client.app.state.page_cache  # type: ignore[attr-defined]
    first = site_client.get("/trending?period=week")
    size = len(cache)
    second = site_client.get("/trending?period=week")
    assert second.content == first.content and len(cache) == size >= 1
    assert_security_headers(second)
    assert second.headers["content-type"].startswith("text/html")
    head = site_client.head("/trending?period=week")
    assert head.status_code == 200 and head.content == b""
    # Errors are never stored.
    assert site_client.get("/trending?period=decade").status_code == 400
    assert len(cache) == size
    # A cookie that signs no one in gets the signed-out page, rendered without the
    # cookie and kept for everyone.
    r = site_client.get("/about", headers={"cookie": "session=abc"})
    assert r.status_code == 200 and len(cache) == size + 1
    assert site_client.get("/about").content == r.content and len(cache) == size + 1


def test_paper_page_lists_similar_papers(site_client: httpx.Client, site_store: object) -> None:
    from paperwire.search.embed import HashEmbedder
    from paperwire.search.index import index_papers

    html = site_client.get("/papers/2611.00052").text
    assert "No similar papers found yet." in html  # nothing embedded yet
    index_papers(site_store, HashEmbedder())  # type: ignore[arg-type]
    html = site_client.get("/papers/2611.00052").text
    similar = html.split('id="similar-h"')[1]
    ids = card_ids(similar)
    assert len(ids) == 6 and "2611.00052" not in ids
    # The dated papers share their wording, so they are each other's nearest.
    assert sum(i.startswith("2611.000") for i in ids) >= 4
