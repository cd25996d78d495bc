"""Server-rendered pages: thin routes that call domain functions (``paperwire.browse``,
``paperwire.community.trending``) and render autoescaped templates.

Listing pages are rendered once per data version and then served from memory by
``page_cache.RenderedPageMiddleware``. ``/papers/{id}`` takes old-style ids with a slash
(``hep-th/9901001``) but never a path ending in ``.md``: that is the Markdown view,
served by another router.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Query, Request
from fastapi.responses import HTMLResponse
from starlette.convertors import Convertor, register_url_convertor

from paperwire.bibtex import format_bibtex
from paperwire.browse.cursor import decode_cursor
from paperwire.browse.listing import (
    Listing,
    listed_day,
    newest_papers,
    papers_by_author,
    papers_for_period,
    papers_in_category,
)
from paperwire.browse.periods import Period, day_period, month_period, week_period
from paperwire.browse.taxonomy import category_name, describe_category, validate_category
from paperwire.community import comments
from paperwire.community.trending import (
    TRENDING_PERIODS,
    describe_trending,
    trending_papers,
)
from paperwire.models import Paper, SearchFilters
from paperwire.paths import paper_url
from paperwire.search.semantic import similar_papers
from paperwire.web.auth import ViewerDep
from paperwire.web.deps import SettingsDep, StoreDep, TemplatesDep, VectorsDep, paper_or_404
from paperwire.web.params import ID_MAX, CursorQ, FiltersDep, ListingSortQ, PeriodDep
from paperwire.web.routing import Cache, cached, page_router
from paperwire.web.templating import doi_url, render_page, safe_href, with_query


class PaperPageIdConvertor(Convertor[str]):
    """Any path (slashes allowed) that does not end in ``.md`` (nor ``.md/``)."""

    regex = r".+(?<!\.md)(?<!\.md/)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("paper_page_id", PaperPageIdConvertor())

router = page_router()

PAGE_SIZE = 50
TRENDING_LABELS = {"day": "Today", "week": "This week", "month": "This month"}
DAILY_FEED = {"title": "Daily papers", "href": "/feeds/daily.atom"}
TRENDING_FEED = {"title": "Trending papers", "href": "/feeds/trending.atom"}



# ---------------------------------------------------------------- helpers


@dataclass(frozen=True, slots=True)
class NavLink:
    label: str
    href: str
    current: bool = False


@dataclass(frozen=True, slots=True)
class ReadLink:
    label: str
    href: str


@dataclass(frozen=True, slots=True)
class CodeLink:
    url: str  # shown as text
    href: str | None  # only when it is an http(s) URL


def category_feed(category: str) -> dict[str, str]:
    return {
        "title": f"New in {category}",
        "href": f"/feeds/categories/{quote(category, safe='.-')}.atom",
    }


def filter_fields(filters: SearchFilters) -> tuple[str | None, bool]:
    """The ``category`` and ``code`` the page's form and links carry over."""
    return ",".join(filters.categories) or None, filters.has_code is True


def period_param(period: Period) -> dict[str, str]:
    name = {"day": "date", "week": "week", "month": "month"}.get(period.kind, "date")
    return {name: period.label}


def period_title(period: Period) -> str:
    if period.kind == "day":
        return period.start.strftime("%A, %d %B %Y")
    if period.kind == "week":
        return (
            f"Week {period.label} ({period.start.strftime('%d %b')} – "
            f"{period.end.strftime('%d %b %Y')})"
        )
    if period.kind == "month":
        return period.start.strftime("%B %Y")
    return f"{period.start.isoformat()} – {period.end.isoformat()}"


def category_names(papers: Iterable[Paper]) -> dict[str, str]:
    """The readable name of each category the papers are listed in, for their tags."""
    return {c: category_name(c) for p in papers for c in p.categories}


def category_options(counts: dict[str, int], selected: str | None) -> list[dict[str, Any]]:
    """Categories of the listing for the filter select, busiest first; the selected
    one stays listed even when it has no papers here."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if selected and selected not in counts:
        items.append((selected, 0))
    return [
        {"code": code, "count": n, "name": category_name(code), "selected": code == selected}
        for code, n in items
    ]


def period_nav(
    listing: Listing, category: str | None, has_code: bool, sort: str = "date"
) -> dict[str, Any]:
    """Previous/next links and the day/week/month switch for a listing page; each keeps
    the filters and the order (``sort``)."""
    period = listing.period
    assert period is not None
    kept = {"category": category, "code": has_code, "sort": None if sort == "date" else sort}

    def link(p: Period | None, label: str) -> NavLink | None:
        if p is None:
            return None
        return NavLink(label, with_query("/", **period_param(p), **kept))

    noun = {"day": "day", "week": "week", "month": "month"}.get(period.kind, "day")
    anchor = period.start if period.kind == "day" else min(period.end, listing_anchor(listing))
    switch = [
        NavLink("Day", with_query("/", **period_param(day_period(anchor)), **kept), period.kind == "day"),
        NavLink("Week", with_query("/", **period_param(week_period(anchor)), **kept), period.kind == "week"),
        NavLink("Month", with_query("/", **period_param(month_period(anchor)), **kept), period.kind == "month"),
    ]
    return {
        "previous": link(listing.previous, f"Previous {noun}"),
        "next": link(listing.next, f"Next {noun}"),
        "switch": switch,
    }


def listing_anchor(listing: Listing) -> date:
    """The day a week/month view switches to: its newest paper's day, else its start."""
    days = [p.day for p in listing.papers if p.day]
    if days:
        return max(days)
    assert listing.period is not None
    return listing.period.start


# ---------------------------------------------------------------- listing pages


@dataclass(frozen=True, slots=True)
class DayGroup:
    """The papers of one day on the front page, under its heading."""

    day: date
    title: str
    href: str  # the day's own page
    papers: list[Paper]
    continued: bool  # the day began on the page before


def day_groups(papers: Iterable[Paper], *, continued_from: date | None) -> list[DayGroup]:
    """``papers`` (in listing order) cut into runs of one listed day each."""
    groups: list[DayGroup] = []
    for paper in papers:
        day = listed_day(paper)
        if day is None:
            continue  # a listing holds dated papers only
        if groups and groups[-1].day == day:
            groups[-1].papers.append(paper)
            continue
        title = day_period(day).start.strftime("%A, %d %B %Y")
        href = with_query("/", date=day.isoformat())
        groups.append(DayGroup(day, title, href, [paper], not groups and day == continued_from))
    return groups


def front_page(
    request: Request,
    store: Any,
    templates: Any,
    filters: SearchFilters,
    cursor: str | None,
) -> HTMLResponse:
    """``/`` without a period: the newest day, then the days before it under their
    headings until the page is full; "More papers" goes on from where it stopped."""
    category, code = filter_fields(filters)
    listing = newest_papers(store, filters=filters, limit=PAGE_SIZE, cursor=cursor)
    assert listing.period is not None
    newest = listing.period.end
    switch = [
        NavLink("Day", with_query("/", date=newest.isoformat(), category=category, code=code)),
        NavLink("Week", with_query("/", **period_param(week_period(newest)), category=category, code=code)),
        NavLink("Month", with_query("/", **period_param(month_period(newest)), category=category, code=code)),
    ]
    more = with_query("/", category=category, code=code, cursor=listing.next_cursor) if listing.next_cursor else None
    feeds = [DAILY_FEED] + ([category_feed(category)] if category and len(filters.categories) == 1 else [])
    context = {
        "nav": "daily",
        "listing": listing,
        "period": listing.period,
        "heading": "Latest papers",
        "is_newest": True,
        "front": True,
        "day_groups": day_groups(listing.papers, continued_from=decode_cursor(cursor)[0] if cursor else None),
        "pager": {"previous": None, "next": None, "switch": switch},
        "categories": category_options(listing.category_counts, category),
        "category": category,
        "has_code": code,
        "period_fields": {},
        "clear_filters": "/",
        "more_href": more,
        "category_names": category_names(listing.papers),
        "feeds": feeds,
    }
    return render_page(request, templates, "daily.html", context)


@router.get("/", response_class=HTMLResponse)
@cached(Cache.PAGE)
def daily_page(
    request: Request,
    store: StoreDep,
    templates: TemplatesDep,
    period: PeriodDep,
    filters: FiltersDep,
    cursor: CursorQ = None,
    sort: ListingSortQ = "date",
) -> HTMLResponse:
    """The newest papers across days (no period given), or the papers of an
    announcement day, an ISO week or a month (``sort=stars``: most GitHub stars first)."""
    if period is None:
        return front_page(request, store, templates, filters, cursor)
    category, code = filter_fields(filters)
    listing = papers_for_period(
        store, period, filters=filters, limit=PAGE_SIZE, cursor=cursor, sort=sort
    )
    assert listing.period is not None
    ordered = None if sort == "date" else sort
    more = (
        with_query("/", **period_param(listing.period), category=category, code=code, sort=ordered, cursor=listing.next_cursor)
        if listing.next_cursor
        else None
    )
    feeds = [DAILY_FEED] + ([category_feed(category)] if category and len(filters.categories) == 1 else [])
    context = {
        "nav": "daily",
        "listing": listing,
        "period": listing.period,
        "heading": period_title(listing.period),
        "is_newest": False,
        "pager": period_nav(listing, category, code, sort),
        "sort": sort,
        "categories": category_options(listing.category_counts, category),
        "category": category,
        "has_code": code,
        "period_fields": period_param(listing.period),
        "clear_filters": with_query("/", **period_param(listing.period)),
        "more_href": more,
        "category_names": category_names(listing.papers),
        "feeds": feeds,
    }
    return render_page(request, templates, "daily.html", context)


@router.get("/trending", response_class=HTMLResponse)
@cached(Cache.PAGE)
def trending_page(
    request: Request,
    store: StoreDep,
    templates: TemplatesDep,
    settings: SettingsDep,
    filters: FiltersDep,
    period: Annotated[str, Query(max_length=10, description="day | week | month")] = "day",
    cursor: CursorQ = None,
) -> HTMLResponse:
    """Trending papers of today, this week or this month (formula: community/trending.py)."""
    category, code = filter_fields(filters)
    listing = trending_papers(
        store, period, filters=filters, limit=PAGE_SIZE, cursor=cursor,
        now=datetime.now(UTC), trust_hours=settings.vote_trust_hours,
    )

    def trending_url(p: str, cursor: str | None = None) -> str:
        """This page for period ``p`` (``day`` is the default, left out), filters kept."""
        return with_query("/trending", period=p if p != "day" else None, category=category, code=code, cursor=cursor)

    tabs = [NavLink(TRENDING_LABELS[p], trending_url(p), p == period) for p in TRENDING_PERIODS]
    more = trending_url(period, listing.next_cursor) if listing.next_cursor else None
    context = {
        "nav": "trending",
        "listing": listing,
        "period_name": period,
        "heading": f"Trending {TRENDING_LABELS[period].lower()}",
        "tabs": tabs,
        "category": category,
        "has_code": code,
        "more_href": more,
        "start_rank": 1 if cursor is None else None,
        "category_names": category_names(listing.papers),
        "feeds": [TRENDING_FEED, DAILY_FEED],
    }
    return render_page(request, templates, "trending.html", context)


@router.get("/authors/{name:path}", response_class=HTMLResponse)
@cached(Cache.PAGE)
def author_page(
    name: str,
    request: Request,
    store: StoreDep,
    templates: TemplatesDep,
    cursor: CursorQ = None,
) -> HTMLResponse:
    """Every paper with an author of this name, newest first."""
    listing = papers_by_author(store, name, limit=PAGE_SIZE, cursor=cursor)
    more = with_query(request.url.path, cursor=listing.next_cursor) if listing.next_cursor else None
    context = {
        "nav": None,
        "listing": listing,
        "author": name,
        "more_href": more,
        "categories": category_options(listing.category_counts, None)[:12],
        "category_names": category_names(listing.papers),
        "feeds": [DAILY_FEED],
    }
    return render_page(request, templates, "author.html", context)


@router.get("/categories/{category}", response_class=HTMLResponse)
@cached(Cache.PAGE)
def category_page(
    category: str,
    request: Request,
    store: StoreDep,
    templates: TemplatesDep,
    filters: FiltersDep,
    cursor: CursorQ = None,
) -> HTMLResponse:
    """Papers listed in a category (primary or cross-list), newest first; the category
    in the path takes the place of a ``category`` filter."""
    validate_category(category)
    code = filter_fields(filters)[1]
    listing = papers_in_category(store, category, filters=filters, limit=PAGE_SIZE, cursor=cursor)
    more = with_query(request.url.path, code=code, cursor=listing.next_cursor) if listing.next_cursor else None
    context = {
        "nav": None,
        "listing": listing,
        "category": describe_category(category),
        "has_code": code,
        "more_href": more,
        "category_names": category_names(listing.papers),
        "feeds": [category_feed(category), DAILY_FEED],
    }
    return render_page(request, templates, "category.html", context)


@router.get("/about", response_class=HTMLResponse)
@cached(Cache.PAGE)
def about_page(request: Request, templates: TemplatesDep, settings: SettingsDep) -> HTMLResponse:
    ranking = describe_trending(
        trust_hours=settings.vote_trust_hours, burst_limit=settings.vote_burst_limit
    )
    return render_page(
        request,
        templates,
        "about.html",
        {"nav": "about", "ranking_text": ranking, "feeds": [DAILY_FEED, TRENDING_FEED]},
    )


# ---------------------------------------------------------------- paper page


def read_links(paper: Paper) -> list[ReadLink]:
    """arXiv page, PDF and DOI; links from the record only when they are http(s)."""
    links: list[ReadLink] = []
    if paper.source == "arxiv":
        links.append(ReadLink("arXiv page", f"https://arxiv.org/abs/{paper.id}"))
        links.append(ReadLink("PDF", f"https://arxiv.org/pdf/{paper.id}"))
    elif paper.id.startswith("pmid:"):
        links.append(ReadLink("PubMed", f"https://pubmed.ncbi.nlm.nih.gov/{paper.id[5:]}/"))
    if paper.doi:
        links.append(ReadLink(f"DOI {paper.doi}", doi_url(paper.doi)))
    for link in paper.links:
        if link.kind in ("project", "html"):
            href = safe_href(link.url)
            if href:
                links.append(ReadLink("Project page" if link.kind == "project" else "HTML", href))
    return links


def code_links(paper: Paper) -> list[CodeLink]:
    return [CodeLink(link.url, safe_href(link.url)) for link in paper.code_links]


def paper_feeds(paper: Paper) -> list[dict[str, str]]:
    feeds = [DAILY_FEED]
    if paper.primary_category:
        feeds.append(category_feed(paper.primary_category))
    return feeds


def find_similar(store: Any, paper: Paper, *, vectors: Any = None, limit: int = 6) -> list[Paper]:
    """Nearest papers by stored embedding; empty until ``paperwire index`` has run."""
    hits = similar_papers(store, paper.id, limit=limit, vectors=vectors)
    return store.get_papers([h.paper_id for h in hits])  # type: ignore[no-any-return]


@router.get("/papers/{paper_id:paper_page_id}", response_class=HTMLResponse)
@cached(Cache.DATA)
def paper_page(
    paper_id: str,
    request: Request,
    store: StoreDep,
    templates: TemplatesDep,
    vectors: VectorsDep,
    viewer: ViewerDep,
    comments_after: Annotated[
        int | None, Query(ge=0, le=ID_MAX, description="Comments after this one.")
    ] = None,
) -> HTMLResponse:
    """Its similar papers come from stored embeddings, whose writes bump the data
    version like the papers' own; its comments bump the ``community`` version, and the
    validators include the reader's cookie, so a signed-in reader's controls are never
    served to another."""
    paper = paper_or_404(store, paper_id)
    shown = comments.list_comments(store, paper.id, viewer, after=comments_after)
    more = (
        with_query(paper_url(paper.id), comments_after=shown[-1].comment.id) + "#comments"
        if len(shown) == comments.PAGE_SIZE
        else None
    )
    context = {
        "paper": paper,
        "read_links": read_links(paper),
        "code_links": code_links(paper),
        "bibtex": format_bibtex(paper),
        "similar": find_similar(store, paper, vectors=vectors),
        "category_names": category_names([paper]),
        "feeds": paper_feeds(paper),
        "comments": shown,
        "comments_after": comments_after,
        "comments_more": more,
        "body_max": comments.BODY_MAX,
        "reason_max": comments.REASON_MAX,
    }
    return render_page(request, templates, "paper.html", context)
