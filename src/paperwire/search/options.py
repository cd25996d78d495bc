"""Search options as the API and the CLI receive them (strings), checked once here so
both give the same clear message naming the bad parameter."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from paperwire.arxiv_ids import is_arxiv_category
from paperwire.models import Hit, Paper, SearchFilters
from paperwire.search.query import QueryError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
SOURCES = ("arxiv", "medline")


def parse_day(text: str, *, param: str, end: bool = False) -> date:
    """``2024-03-05``, or a month ``2024-03`` / year ``2024`` (its first day, or its
    last when ``end``)."""
    value = text.strip()
    try:
        if re.fullmatch(r"[0-9]{4}", value):
            return date(int(value), 12, 31) if end else date(int(value), 1, 1)
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}", value):
            year, month = int(value[:4]), int(value[5:])
            last = calendar.monthrange(year, month)[1]
            return date(year, month, last if end else 1)
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise QueryError(f"expected a date like 2024-03-05, 2024-03 or 2024, got {text[:40]!r}", param=param)


def parse_bool(text: str, *, param: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise QueryError(f"expected true or false, got {text[:40]!r}", param=param)


def parse_limit(text: str | int | None, *, default: int, maximum: int, param: str = "limit") -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise QueryError(f"expected a whole number from 1 to {maximum}, got {str(text)[:40]!r}", param=param) from None
    if not 1 <= value <= maximum:
        raise QueryError(f"expected a whole number from 1 to {maximum}, got {value}", param=param)
    return value


def parse_filters(
    *,
    categories: Iterable[str] = (),
    date_from: str | None = None,
    date_until: str | None = None,
    has_code: str | None = None,
    author: str | None = None,
    source: str | None = None,
) -> SearchFilters:
    """Categories may repeat or be comma-separated; an archive (``cs``) means all of it."""
    cats: list[str] = []
    for raw in categories:
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            if not is_arxiv_category(part):
                raise QueryError(f"not an arXiv category: {part[:40]!r}", param="category")
            cats.append(part)
    start = parse_day(date_from, param="from") if date_from else None
    end = parse_day(date_until, param="until", end=True) if date_until else None
    if start and end and start > end:
        raise QueryError(f"from ({start}) is after until ({end})", param="from")
    author = " ".join((author or "").split()) or None
    if author and len(author) > 200:
        raise QueryError("author name is too long (at most 200 characters)", param="author")
    if author and "\x00" in author:  # PostgreSQL text cannot hold it
        raise QueryError("author name contains a NUL character", param="author")
    if source is not None and source not in SOURCES:
        raise QueryError(f"source must be one of {', '.join(SOURCES)}, got {source[:40]!r}", param="source")
    return SearchFilters(
        categories=tuple(dict.fromkeys(cats)),
        date_from=start,
        date_until=end,
        has_code=parse_bool(has_code, param="has_code") if has_code else None,
        author=author,
        source=source,
    )


def hit_json(hit: Hit, paper: Paper) -> dict[str, Any]:
    """One search result as the API and ``paperwire search --json`` print it."""
    day = paper.day
    return {
        "id": paper.id,
        "title": paper.title,
        "authors": [a.name for a in paper.authors],
        "score": round(hit.score, 6),
        "categories": paper.categories,
        "primary_category": paper.primary_category,
        "published": paper.submitted.date().isoformat() if paper.submitted else None,
        "listed": day.isoformat() if day else None,
        "has_code": paper.has_code,
        "source": paper.source,
        "abstract": paper.abstract,
    }


def results_json(store_papers: list[Paper], hits: list[Hit]) -> list[dict[str, Any]]:
    by_id = {p.id: p for p in store_papers}
    return [hit_json(h, by_id[h.paper_id]) for h in hits if h.paper_id in by_id]
