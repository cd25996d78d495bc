"""The comment renderer: the Markdown subset it allows, and hostile input it must
turn into text. Every output is read back with an HTML tokenizer, as a browser would."""

from __future__ import annotations

import random
import time
from html.parser import HTMLParser

import pytest

from paperwire.community.comment_markdown import LINK_REL, allowed_url, render_comment

ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "a", "ul", "ol", "li", "blockquote"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def tags_of(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser


def assert_safe(html: str) -> None:
    """Only the subset's tags; attributes only on links (an http(s) href, the rel) and
    ordered lists (start)."""
    for tag, attrs in tags_of(html).tags:
        assert tag in ALLOWED_TAGS, (tag, html)
        if tag == "a":
            assert set(attrs) <= {"href", "rel", "title"}, attrs
            assert attrs["href"].lower().startswith(("http://", "https://")), attrs
            assert attrs["rel"] == LINK_REL
        elif tag == "ol":
            assert set(attrs) <= {"start"}, attrs
        else:
            assert attrs == {}, (tag, attrs)


def test_the_subset() -> None:
    html = render_comment(
        "Some *emphasis*, **strong** and `code`.\nA new line.\n\n"
        "> quoted\n\n- one\n- two\n\n3. three\n4. four\n\n"
        "```python\nprint('<hi>')\n```\n\n    indented code\n\n"
        'A [link](https://example.org/a?b=1&c=2 "a title") and <http://example.com>.'
    )
    assert "<em>emphasis</em>" in html and "<strong>strong</strong>" in html
    assert "<code>code</code>" in html and "<br>\nA new line." in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert '<ol start="3">' in html
    assert "<pre><code>print('&lt;hi&gt;')\n</code></pre>" in html  # no language class
    assert "<pre><code>indented code\n</code></pre>" in html
    assert (
        '<a href="https://example.org/a?b=1&amp;c=2" title="a title" '
        'rel="nofollow ugc noopener">link</a>'
    ) in html
    assert '<a href="http://example.com" rel="nofollow ugc noopener">http://example.com</a>' in html
    assert_safe(html)


def test_what_is_not_in_the_subset_stays_text() -> None:
    html = render_comment(
        "# Heading\n\n![image](https://example.org/x.png)\n\n---\n\n| a | b |\n|---|---|\n\n~~strike~~"
    )
    assert "<h1>" not in html and "<img" not in html and "<hr" not in html
    assert "<table" not in html and "<s>" not in html and "<del>" not in html
    assert "# Heading" in html and "~~strike~~" in html
    assert_safe(html)


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java&#x09;script:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](  javascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)",
        "[x](file:///etc/passwd)",
        "[x](mailto:a@example.org)",
        "<javascript:alert(1)>",
        "<mailto:a@example.org> <a@example.org>",
        "[x](/relative/path) [y](//evil.example/x) [z](#top)",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
        '[x](https://example.org/" onmouseover="alert(1))',
        '[x](https://example.org "title\\" onmouseover=\\"alert(1)")',
        "[x](https://example.org/'><script>alert(1)</script>)",
        '```"><script>alert(1)</script>\nx\n```',
        "``` onload=alert(1)\nx\n```",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&#60;img src=x onerror=alert(1)&#62;",
        "&#0; &#xD800; &#x110000; &unknown; &amp;lt;",
        "<!-- comment --> <![CDATA[x]]> <?php ?>",
        "<style>body{display:none}</style>",
        "`<b>` **<i>x</i>**",
        "> <iframe src=https://evil.example></iframe>",
        "- <svg onload=alert(1)>",
        "[<img src=x onerror=alert(1)>](https://example.org)",
        "\\<script\\>",
    ],
)
def test_hostile_input_is_text(body: str) -> None:
    html = render_comment(body)
    assert_safe(html)
    lowered = html.lower()
    for live in ("<script", "<img", "<iframe", "<svg", "<style", "<!--", "<?", "<![", 'href="java'):
        assert live not in lowered, (live, html)


def test_entities_show_as_written_characters() -> None:
    html = render_comment("5 &lt; 6 &amp; 7 &gt; 3 and a < b & c")
    assert "".join(tags_of(html).text).strip() == "5 < 6 & 7 > 3 and a < b & c"


def test_links_only_http_and_https_with_a_host() -> None:
    assert allowed_url("https://example.org/x") and allowed_url("HTTP://EXAMPLE.ORG")
    for url in (
        "javascript:alert(1)",
        "https://",
        "http:///x",
        "//example.org",
        "/x",
        "ftp://x.org",
        "https://[::1",
        "data:,x",
    ):
        assert not allowed_url(url), url


def test_long_and_nested_input_renders_quickly() -> None:
    """Comments are capped at 5,000 characters; the worst shapes of that many must
    still render in a blink (no quadratic blow-up) and safely."""
    rng = random.Random(7)
    pieces = [
        "*",
        "_",
        "`",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "&",
        "\\",
        "\n",
        " ",
        "-",
        "1.",
        "x",
        "http://a.b",
        "![",
    ]
    bodies = [
        ">" * 5000,
        "*" * 5000,
        "[" * 2500 + "]" * 2500,
        "[a](" * 1250,
        "- " * 2500,
        "  " * 2500 + "x",
        "`" * 5000,
        "*a **" * 1000,
        "<" * 5000,
        "&#" * 2500,
        "".join(rng.choice(pieces) for _ in range(5000))[:5000],
    ]
    for body in bodies:
        started = time.perf_counter()
        html = render_comment(body)
        assert time.perf_counter() - started < 1.0, body[:20]
        assert_safe(html)
