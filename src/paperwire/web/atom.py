"""Atom 1.0 (RFC 4287) documents from papers, built with ElementTree.

Everything from a paper goes in as element text or attribute values, which ElementTree
escapes, so a title like ``<script>`` stays text. Characters XML 1.0 forbids (control
characters, lone surrogates) are removed first: they would make the whole feed
unreadable, and no feed reader can show them anyway.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from paperwire.browse.taxonomy import category_name
from paperwire.models import Paper
from paperwire.web.templating import safe_href

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed says about itself; URLs are absolute."""

    title: str
    self_url: str
    html_url: str
    subtitle: str = ""
    author: str = "paperwire"


def xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def rfc3339(moment: datetime | date) -> str:
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0), tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def paper_updated(paper: Paper) -> datetime | date:
    return paper.updated or paper.submitted or paper.day or date(1970, 1, 1)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _as_utc(moment: datetime | date) -> datetime:
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(0), tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class AtomEntry:
    """An entry that is a page of the site rather than a paper (a digest): its
    absolute URL is both its id and its link; ``summary`` is plain text."""

    url: str
    title: str
    updated: datetime | date
    summary: str


def _feed(info: FeedInfo, newest: datetime) -> ET.Element:
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", info.self_url)
    _sub(feed, "title", info.title, type="text")
    if info.subtitle:
        _sub(feed, "subtitle", info.subtitle, type="text")
    _sub(feed, "updated", rfc3339(newest))
    _sub(_sub(feed, "author"), "name", info.author)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=info.self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=info.html_url)
    _sub(feed, "generator", "paperwire")
    return feed


def render_atom_entries(
    info: FeedInfo, entries: list[AtomEntry], *, fallback_updated: datetime
) -> bytes:
    """A feed of ``entries`` (each by the feed's author) as UTF-8 bytes."""
    newest = max((_as_utc(e.updated) for e in entries), default=_as_utc(fallback_updated))
    feed = _feed(info, newest)
    for item in entries:
        entry = _sub(feed, "entry")
        _sub(entry, "id", item.url)
        _sub(entry, "title", item.title, type="text")
        _sub(entry, "updated", rfc3339(item.updated))
        _sub(entry, "link", rel="alternate", type="text/html", href=item.url)
        _sub(entry, "summary", item.summary, type="text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def render_atom(
    info: FeedInfo,
    papers: list[Paper],
    *,
    paper_url: Callable[[str], str],
    fallback_updated: datetime,
) -> bytes:
    """The feed as UTF-8 bytes. ``paper_url`` gives the absolute URL of a paper's page
    from its id (a function, not a format string: ids and base URLs may hold braces)."""
    newest = max((_as_utc(paper_updated(p)) for p in papers), default=_as_utc(fallback_updated))
    feed = _feed(info, newest)
    for paper in papers:
        page = paper_url(paper.id)
        entry = _sub(feed, "entry")
        _sub(entry, "id", page)
        _sub(entry, "title", paper.title or paper.id, type="text")
        _sub(entry, "updated", rfc3339(paper_updated(paper)))
        if paper.submitted:
            _sub(entry, "published", rfc3339(paper.submitted))
        for author in paper.authors or []:
            _sub(_sub(entry, "author"), "name", author.name)
        if not paper.authors:
            _sub(_sub(entry, "author"), "name", "unknown")
        _sub(entry, "link", rel="alternate", type="text/html", href=page)
        for link in paper.links:
            href = safe_href(link.url)
            if link.kind in ("abs", "pdf", "doi") and href is not None:
                kind = "application/pdf" if link.kind == "pdf" else "text/html"
                _sub(entry, "link", rel="related", type=kind, href=href, title=link.kind)
        for code in paper.categories:
            _sub(entry, "category", term=code, label=category_name(code))
        _sub(entry, "summary", paper.abstract or paper.title, type="text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
