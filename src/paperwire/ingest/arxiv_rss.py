"""arXiv's per-category daily listing feeds (RSS 2.0 and Atom) → one day's listing.

Each weekday arXiv publishes, per category, the papers announced that day; each item
says how it is listed (``arxiv:announce_type``: new, cross, replace, replace-cross).
On weekends and holidays the feed is empty (and its channel lists ``skipDays``): that
is recorded as a day without announcement, not as missing data.

Replacements are listings of papers announced on an earlier day, so their papers carry
no announcement day here: a replacement must never move a paper to a new day. The
listing entry itself (day, category, type, version) is kept by the store.

An item that cannot be used is left out of the day and named in ``failures`` (the
feed's URL and the item's id); the day's other items are kept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from paperwire.arxiv_ids import InvalidArxivId, is_arxiv_category, parse_arxiv_id
from paperwire.ingest.errors import RECORD_ERRORS, IngestError
from paperwire.ingest.links import finish_paper
from paperwire.ingest.xml import parse_xml
from paperwire.models import AnnouncementEntry, Author, Paper

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "dc": "http://purl.org/dc/elements/1.1/",
}
ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")
FIRST_LISTING = ("new", "cross")  # types that announce a paper for the first time
DEFAULT_FEED_URL = "https://rss.arxiv.org/rss"

_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)$",
    re.DOTALL,
)
_OAI_PREFIX = re.compile(r"^oai:arXiv\.org:", re.IGNORECASE)


@dataclass(slots=True)
class Listed:
    """One feed item: the paper as listed and how it was listed."""

    paper: Paper
    announce_type: str


@dataclass(slots=True)
class DayListing:
    """One category's feed for one announcement day; ``items`` empty = no announcement."""

    category: str
    day: date
    items: list[Listed] = field(default_factory=list)
    skip_days: tuple[str, ...] = ()
    failures: list[str] = field(default_factory=list)  # "URL: item ID: problem", left out

    @property
    def announced(self) -> bool:
        return bool(self.items)

    def entries(self) -> list[AnnouncementEntry]:
        return [
            AnnouncementEntry(
                paper_id=item.paper.id,
                announce_type=item.announce_type,
                version=item.paper.version,
                category=self.category,
                day=self.day,
            )
            for item in self.items
        ]


def check_category(category: str) -> str:
    """A category as arXiv spells it (``cs.CV``, ``hep-th``); refuse anything else
    before it becomes part of a URL."""
    if not is_arxiv_category(category):
        raise IngestError(f"category {category!r}", "not an arXiv category (e.g. cs.CV, hep-th)")
    return category


def feed_url(base_url: str, category: str) -> str:
    return f"{base_url.rstrip('/')}/{check_category(category)}"


def _text(el: Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _rfc822_day(value: str, *, where: str, what: str) -> date | None:
    """The calendar day in the feed's own time zone (arXiv writes US Eastern)."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError) as exc:
        raise IngestError(where, f"{what} {value!r} is not an RFC 822 date") from exc


def _iso_day(value: str, *, where: str, what: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError as exc:
        raise IngestError(where, f"{what} {value!r} is not an ISO 8601 date") from exc


def _split_authors(creator: str) -> list[Author]:
    """``dc:creator`` holds all names, comma-separated (a last ``and`` tolerated)."""
    names = []
    for part in creator.split(","):
        part = part.strip()
        if part.lower().startswith("and "):
            part = part[4:].strip()
        if part:
            names.append(part)
    return [Author(name=n) for n in names]


def _item_to_listed(
    *,
    raw_id: str,
    title: str,
    description: str,
    announce_type: str,
    authors: list[Author],
    categories: list[str],
    license_url: str | None,
    day: date,
    where: str,
) -> Listed:
    described = _DESCRIPTION.match(description)
    if not raw_id and described:
        raw_id = described["id"]
    try:
        ident = parse_arxiv_id(_OAI_PREFIX.sub("", raw_id))
    except InvalidArxivId as exc:
        raise IngestError(where, f"item with unusable id: {exc}") from exc
    where = f"{where}: item {ident.versioned}"
    kind = announce_type or (described["type"] if described else "")
    if kind not in ANNOUNCE_TYPES:
        raise IngestError(where, f"unknown announce type {kind[:40]!r}")
    if not title:
        raise IngestError(where, "has no title")
    abstract = " ".join(described["abstract"].split()) if described else description
    first = kind in FIRST_LISTING
    paper = Paper(
        id=ident.id,
        version=ident.version,
        title=title,
        abstract=abstract,
        authors=authors,
        categories=categories,
        license=license_url or None,
        announced=day if first else None,
        announce_type=kind if first else None,
        source="arxiv",
    )
    return Listed(paper=finish_paper(paper, where=where), announce_type=kind)


def _add_item(
    listing: DayListing, make: Callable[[Element, date, str], Listed], element: Element, *, where: str
) -> None:
    """One item into the day, or its problem into ``failures``: never the whole day."""
    try:
        listing.items.append(make(element, listing.day, where))
    except IngestError as exc:
        listing.failures.append(str(exc))
    except RECORD_ERRORS as exc:  # unforeseen: still only this item
        listing.failures.append(f"{where}: unusable item ({type(exc).__name__}: {str(exc)[:200]})")


def _parse_rss(root: Element, *, category: str, where: str, fallback_day: date | None) -> DayListing:
    channel = root.find("channel")
    if channel is None:
        raise IngestError(where, "RSS feed without a <channel>")
    channel_day = _rfc822_day(_text(channel.find("pubDate")), where=where, what="channel pubDate")
    built_day = _rfc822_day(_text(channel.find("lastBuildDate")), where=where, what="lastBuildDate")
    skip = tuple(_text(d) for d in channel.findall("skipDays/day"))
    raw_items = channel.findall("item")
    item_days = []
    for item in raw_items:
        d = _rfc822_day(_text(item.find("pubDate")), where=where, what="item pubDate")
        if d is not None:
            item_days.append(d)
    day = _listing_day(channel_day, item_days, built_day, fallback_day, where=where)
    listing = DayListing(category=category, day=day, skip_days=skip)
    for item in raw_items:
        _add_item(listing, _rss_item, item, where=where)
    return listing


def _rss_item(item: Element, day: date, where: str) -> Listed:
    return _item_to_listed(
        raw_id=_text(item.find("guid")) or _text(item.find("link")),
        title=_text(item.find("title")),
        description=(item.findtext("description") or "").strip(),
        announce_type=_text(item.find("arxiv:announce_type", NS)),
        authors=_split_authors(_text(item.find("dc:creator", NS))),
        categories=_unique(_text(c) for c in item.findall("category")),
        license_url=_text(item.find("dc:rights", NS)) or None,
        day=day,
        where=where,
    )


def _parse_atom(root: Element, *, category: str, where: str, fallback_day: date | None) -> DayListing:
    built_day = _iso_day(_text(root.find("atom:updated", NS)), where=where, what="feed updated")
    entries = root.findall("atom:entry", NS)
    entry_days = []
    for entry in entries:
        when = _text(entry.find("atom:published", NS)) or _text(entry.find("atom:updated", NS))
        d = _iso_day(when, where=where, what="entry published")
        if d is not None:
            entry_days.append(d)
    day = _listing_day(None, entry_days, built_day, fallback_day, where=where)
    listing = DayListing(category=category, day=day)
    for entry in entries:
        _add_item(listing, _atom_item, entry, where=where)
    return listing


def _atom_item(entry: Element, day: date, where: str) -> Listed:
    authors = [
        Author(name=_text(a.find("atom:name", NS)))
        for a in entry.findall("atom:author", NS)
        if _text(a.find("atom:name", NS))
    ] or _split_authors(_text(entry.find("dc:creator", NS)))
    link = entry.find("atom:link[@rel='alternate']", NS)
    return _item_to_listed(
        raw_id=_text(entry.find("atom:id", NS)) or (link.get("href", "") if link is not None else ""),
        title=_text(entry.find("atom:title", NS)),
        description=(entry.findtext("atom:summary", default="", namespaces=NS)).strip(),
        announce_type=_text(entry.find("arxiv:announce_type", NS)),
        authors=authors,
        categories=_unique(c.get("term", "") for c in entry.findall("atom:category", NS)),
        license_url=_text(entry.find("atom:rights", NS)) or _text(entry.find("dc:rights", NS)) or None,
        day=day,
        where=where,
    )


def _unique(values: object) -> list[str]:
    seen: list[str] = []
    for v in values:  # type: ignore[attr-defined]
        if v and v not in seen:
            seen.append(v)
    return seen


def _listing_day(
    channel_day: date | None,
    item_days: list[date],
    built_day: date | None,
    fallback_day: date | None,
    *,
    where: str,
) -> date:
    """The announcement day: the items' own date (all equal in a real feed), else the
    channel's publication date, else when it was built, else the caller's today."""
    if item_days:
        return Counter(item_days).most_common(1)[0][0]
    for candidate in (channel_day, built_day, fallback_day):
        if candidate is not None:
            return candidate
    raise IngestError(where, "feed has no items and no date: cannot tell which day it lists")


def parse_listing(
    data: bytes | str, *, category: str, where: str, fallback_day: date | None = None
) -> DayListing:
    """Parse one category's listing feed (RSS 2.0 or Atom). A feed that is no listing,
    or whose day cannot be told, is refused with an ``IngestError`` naming ``where``; an
    item that cannot be used is named in ``failures`` and the others are kept."""
    root = parse_xml(data, where=where)
    if root.tag == "rss":
        return _parse_rss(root, category=category, where=where, fallback_day=fallback_day)
    if root.tag == f"{{{NS['atom']}}}feed":
        return _parse_atom(root, category=category, where=where, fallback_day=fallback_day)
    raise IngestError(where, f"not an RSS or Atom listing feed (root element {root.tag!r})")
