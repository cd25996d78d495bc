"""Every field of a paper is escaped for the format it is served in: Markdown (read by a
real CommonMark renderer that passes raw HTML through, as most do), Atom and BibTeX.

The hostile paper is stored in a real store on both backends and read back over HTTP;
the property tests send arbitrary text through the Markdown and BibTeX writers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import feedparser
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from paperwire.app import create_app
from paperwire.bibtex import clean_value, format_bibtex
from paperwire.config import Settings
from paperwire.models import Author, Link, Paper
from paperwire.store import Store
from paperwire.web.markdown import code_span, paper_markdown

ATOM = "{http://www.w3.org/2005/Atom}"
PAPER_ID = "2612.00666"
DAY = date(2026, 12, 31)  # newer than the sample and every other test paper
# Markup of every kind the formats know, in one string: raw HTML, a code span that a
# fixed single-backtick fence would end early, a javascript: link, an entity, emphasis,
# a table cell, a heading mark, TeX braces and a comment sign, BibTeX's "and".
EVIL = (
    "`` <img src=x onerror=alert(1)> ``` [x](javascript:alert(2)) <script>alert(3)</script> "
    "&lt;b&gt; *em* _u_ ~~s~~ | a | # h \\ }{ % \\} and @misc{"
)
EVIL_DOI = "10.1/x` <img src=x onerror=alert(1)> `"
EVIL_CATEGORY = "cs.CR`<img src=x onerror=alert(1)>`"


def hostile_paper() -> Paper:
    return Paper(
        id=PAPER_ID,
        title="1. " + EVIL,
        abstract="- " + EVIL,
        authors=[Author("<img src=x onerror=alert(4)> " + EVIL), Author("Alice and Bob }, title = {x")],
        categories=["cs.CR", EVIL_CATEGORY, "``a``"],
        version=3,
        submitted=datetime(2026, 12, 30, tzinfo=UTC),
        announced=DAY,
        announce_type="new",
        doi=EVIL_DOI,
        journal_ref=EVIL,
        comments=EVIL,
        links=[
            Link("code", "https://github.com/a/b)<img src=x onerror=alert(5)>"),
            Link("project", "javascript:alert(6)"),
            Link("html", 'https://example.org/"><script>alert(7)</script>'),
            Link("abs", "https://arxiv.org/abs/2612.00666 'x'`y`"),
        ],
    )


@pytest.fixture
def hostile_client(settings: Settings, store: Store) -> Iterator[httpx.Client]:
    from fastapi.testclient import TestClient

    store.upsert_papers([hostile_paper()])
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as c:
        yield c


# --- a real Markdown renderer, and what its HTML may hold ---------------------------

RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
ALLOWED_TAGS = {"h1", "h2", "p", "strong", "ul", "li", "code", "a"}


class Rendered(HTMLParser):
    """Tags, attributes and the text of each element of rendered Markdown."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._open.append(tag)
        self.texts.setdefault(tag, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for tag in set(self._open):
            self.texts[tag][-1] += data


def render(markdown: str) -> Rendered:
    return Rendered(RENDERER.render(markdown))


def assert_inert(page: Rendered) -> None:
    """Only the markup the writer itself emits; links only to http(s)."""
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS, page.tags
    for tag, attrs in page.tags:
        if tag == "a":
            assert [name for name, _ in attrs] == ["href"]
            href = attrs[0][1] or ""
            assert href.startswith(("https://", "http://")), href
            assert not set(href) & set(" <>\"'`()"), href
        else:
            assert attrs == [], (tag, attrs)


def one_line(text: str) -> str:
    return " ".join(re.sub("[\x00-\x08\x0e-\x1f\x7f-\x9f]", "", text).split())


@pytest.mark.parametrize("path", [f"/papers/{PAPER_ID}.md", f"/hf/papers/{PAPER_ID}.md"])
def test_markdown_of_a_hostile_paper_renders_as_its_text(hostile_client: httpx.Client, path: str) -> None:
    r = hostile_client.get(path)
    assert r.status_code == 200, r.text
    paper = hostile_paper()
    page = render(r.text)
    assert_inert(page)
    # Every field reads back as the literal text it was.
    assert page.texts["h1"] == [one_line(paper.title)]
    assert one_line(paper.abstract) in page.texts["p"]
    codes = page.texts["code"]
    assert codes == [PAPER_ID, *paper.categories, EVIL_DOI]
    items = page.texts["li"]
    assert f"Journal reference: {one_line(EVIL)}" in items
    assert f"Comments: {one_line(EVIL)}" in items
    authors = next(p for p in page.texts["p"] if p.startswith("Authors:"))
    assert authors == "Authors: " + ", ".join(one_line(a.name) for a in paper.authors)
    hrefs = [dict(attrs)["href"] for tag, attrs in page.tags if tag == "a"]
    # The page's own address comes from the base URL; the javascript: link is gone.
    assert hrefs[0] == f"http://testserver/papers/{PAPER_ID}"
    assert "https://github.com/a/b%29%3Cimg%20src=x%20onerror=alert%285%29%3E" in hrefs
    assert len(hrefs) == 4


def test_atom_entry_of_a_hostile_paper_is_text(hostile_client: httpx.Client) -> None:
    r = hostile_client.get("/feeds/daily.atom")
    assert r.status_code == 200
    assert not feedparser.parse(r.content).bozo
    root = ET.fromstring(r.content)
    entries = [e for e in root.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}id", "").endswith(PAPER_ID)]
    assert len(entries) == 1
    entry = entries[0]
    paper = hostile_paper()
    assert entry.findtext(f"{ATOM}title") == paper.title
    assert entry.findtext(f"{ATOM}summary") == paper.abstract
    assert [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")] == [
        a.name for a in paper.authors
    ]
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == paper.categories
    # Nothing from the paper became an element: only Atom's own children.
    assert {child.tag.removeprefix(ATOM) for child in entry} <= {
        "id", "title", "updated", "published", "author", "link", "category", "summary"
    }
    hrefs = [link.get("href") or "" for link in entry.findall(f"{ATOM}link")]
    assert hrefs[0] == f"http://testserver/papers/{PAPER_ID}"
    assert all(h.startswith(("https://", "http://")) for h in hrefs)
    assert not any("javascript" in h for h in hrefs)


# --- BibTeX: a reader that counts braces the way BibTeX does -------------------------


def bibtex_fields(entry: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of one ``@type{key, name = {value}, …}`` entry, read as
    BibTeX reads it: every brace counts, backslash or not. Fails on anything else."""
    head = re.match(r"@(\w+)\{([^,{}\s]+),", entry)
    assert head, entry
    pos, fields = head.end(), []
    while True:
        m = re.compile(r"\s*(\w+) = \{").match(entry, pos)
        if m is None:
            break
        depth, i = 1, m.end()
        while depth:
            assert i < len(entry), "unbalanced value"
            depth += {"{": 1, "}": -1}.get(entry[i], 0)
            i += 1
        fields.append((m[1], entry[m.end() : i - 1]))
        pos = i
        if entry.startswith(",", pos):
            pos += 1
    assert entry[pos:].strip() == "}", entry[pos:]
    return fields


def latex_balanced(value: str) -> bool:
    """LaTeX's view: ``\\{`` and ``\\}`` are characters, bare braces group, ``%`` unescaped
    starts a comment, a final backslash escapes what follows."""
    depth, i = 0, 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 == len(value):
                return False
            i += 2
            continue
        if ch == "%":
            return False
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
        i += 1
    return depth == 0


def test_bibtex_of_a_hostile_paper_is_one_entry_with_our_fields(hostile_client: httpx.Client) -> None:
    r = hostile_client.get(f"/papers/{PAPER_ID}")
    assert r.status_code == 200
    shown = re.search(r'<pre id="bibtex"[^>]*><code>(.*?)</code></pre>', r.text, re.S)
    assert shown is not None
    import html

    entry = html.unescape(shown[1])
    assert entry == format_bibtex(hostile_paper())
    fields = bibtex_fields(entry)
    assert [name for name, _ in fields] == [
        "title", "author", "year", "eprint", "archivePrefix", "primaryClass", "url", "doi", "journal"
    ]
    assert all(latex_balanced(value) for _, value in fields), fields
    # Two authors, though each name holds an "and" of its own: BibTeX splits the list
    # on "and" outside braces only.
    assert len(split_names(dict(fields)["author"])) == 2


def split_names(authors: str) -> list[str]:
    names, depth, start = [], 0, 0
    for m in re.finditer(r"[{}]|\s+and\s+", authors, re.IGNORECASE):
        if m[0] in "{}":
            depth += 1 if m[0] == "{" else -1
        elif depth == 0:
            names.append(authors[start : m.start()])
            start = m.end()
    return [*names, authors[start:]]


@given(st.text(max_size=60))
@settings(max_examples=400, deadline=None)
def test_bibtex_value_stays_one_value(text: str) -> None:
    value = clean_value(text)
    entry = f"@misc{{k,\n  title = {{{value}}},\n  year = {{2024}}\n}}"
    assert [name for name, _ in bibtex_fields(entry)] == ["title", "year"]
    assert latex_balanced(value), value


def test_bibtex_keeps_tex_that_is_already_well_formed() -> None:
    for value in ("$O(n \\log n)$ on {GPU}s", "Schr\\\"odinger's \\{x\\}", "95\\% of {\\em it}"):
        assert clean_value(value) == value
    assert clean_value("95% of }it{") == "95\\% of it{}"
    assert clean_value("ends in \\") == "ends in "  # a final backslash would escape "}"


# --- Markdown writer on arbitrary text ------------------------------------------------

texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("`\\*_{}[]()<>#|!&~-+=.:;/\"' \n\t1a")), st.characters()
    ),
    max_size=40,
)


@given(title=texts, abstract=texts, name=texts, doi=texts, category=texts, comments=texts, url=texts)
@settings(max_examples=300, deadline=None)
def test_markdown_of_any_text_is_that_text(
    title: str, abstract: str, name: str, doi: str, category: str, comments: str, url: str
) -> None:
    paper = Paper(
        id="2501.00001",
        title=title,
        abstract=abstract,
        authors=[Author(name)] if one_line(name) else [],
        categories=[category] if one_line(category) else [],
        doi=doi or None,
        comments=comments or None,
        links=[Link("code", "https://x.org/" + url)],
    )
    page = render(paper_markdown(paper, page_url="https://paperwire.example/papers/2501.00001"))
    assert_inert(page)
    assert page.texts["h1"] == [one_line(title)]
    expected_codes = ["2501.00001", *([one_line(category)] if one_line(category) else [])]
    if one_line(doi):
        expected_codes.append(one_line(doi))
    assert page.texts.get("code", []) == expected_codes
    if one_line(abstract):
        assert one_line(abstract) in page.texts["p"]
    if one_line(comments):
        assert f"Comments: {one_line(comments)}" in page.texts["li"]


def test_code_span_fence_outgrows_the_backticks_inside() -> None:
    assert code_span("cs.AI") == "`cs.AI`"
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x``") == "``` `x`` ```"
    assert code_span("  \n ") == ""
