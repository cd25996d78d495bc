"""The public archive of digests: ``/digests/daily/YYYY-MM-DD`` and
``/digests/weekly/YYYY-Www`` (the period's trending digest, as the mail's "view in
browser" link opens it) and their Atom feeds ``/feeds/digests/daily.atom`` and
``/feeds/digests/weekly.atom``, one entry per digest. Thin routes over
``digest.archive``; every absolute link is built from the base URL."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from paperwire.browse.periods import day_period, parse_day, parse_week
from paperwire.browse.taxonomy import category_name
from paperwire.config import Settings
from paperwire.digest.archive import adjacent_periods, archive_digest, is_future, recent_periods
from paperwire.digest.candidates import CandidateFinder, ranking_moment
from paperwire.digest.compose import Digest
from paperwire.digest.period import DigestPeriod
from paperwire.digest.render import period_title, section_heading
from paperwire.models import Frequency
from paperwire.paths import digest_url
from paperwire.store import Store
from paperwire.web.atom import ATOM_TYPE, AtomEntry, FeedInfo, render_atom_entries
from paperwire.web.deps import SettingsDep, StoreDep, TemplatesDep, utc_now
from paperwire.web.routing import Cache, cached, page_router
from paperwire.web.templating import render_page

router = page_router(tags=["digests"])

FEED_TITLES = {"daily": "Daily digest", "weekly": "Weekly digest"}


def _feed_link(frequency: str) -> dict[str, str]:
    return {"title": FEED_TITLES[frequency], "href": f"/feeds/digests/{frequency}.atom"}


def _archive_page(
    request: Request,
    store: Store,
    settings: Settings,
    templates: TemplatesDep,
    period: DigestPeriod,
) -> HTMLResponse:
    now = utc_now()
    if is_future(period, now.date()):
        raise HTTPException(404, f"no digest for {period.label}: that period has not come yet")
    digest = archive_digest(store, period, now=now, trust_hours=settings.vote_trust_hours)
    earlier, later = adjacent_periods(store, period, today=now.date())
    papers = [p for s in digest.sections for p in s.papers] if digest else []
    context = {
        "nav": None,
        "frequency": period.frequency,
        "heading": period_title(period),
        "digest": digest,
        "sections": [
            {"heading": section_heading(s, period), "papers": list(s.papers), "more": s.more}
            for s in (digest.sections if digest else ())
        ],
        "listing_href": f"/?{'date' if period.frequency == 'daily' else 'week'}={period.label}",
        "previous": digest_url(earlier.frequency, earlier.label) if earlier else None,
        "next": digest_url(later.frequency, later.label) if later else None,
        "category_names": {c: category_name(c) for p in papers for c in p.categories},
        "feeds": [_feed_link(period.frequency)],
    }
    return render_page(request, templates, "digest_archive.html", context)


@router.get("/digests/daily/{day}", response_class=HTMLResponse, summary="A day's digest")
@cached(Cache.PAGE)
def daily_digest_page(
    day: str, request: Request, store: StoreDep, settings: SettingsDep, templates: TemplatesDep
) -> HTMLResponse:
    period = DigestPeriod("daily", day_period(parse_day(day, parameter="day")))
    return _archive_page(request, store, settings, templates, period)


@router.get("/digests/weekly/{week}", response_class=HTMLResponse, summary="A week's digest")
@cached(Cache.PAGE)
def weekly_digest_page(
    week: str, request: Request, store: StoreDep, settings: SettingsDep, templates: TemplatesDep
) -> HTMLResponse:
    period = DigestPeriod("weekly", parse_week(week, parameter="week"))
    return _archive_page(request, store, settings, templates, period)


def _summary(digest: Digest | None) -> str:
    if digest is None:
        return "No papers."
    lines = []
    for number, paper in enumerate((p for s in digest.sections for p in s.papers), start=1):
        authors = ", ".join(a.name for a in paper.authors[:3])
        more = " et al." if len(paper.authors) > 3 else ""
        lines.append(f"{number}. {' '.join(paper.title.split())} ({authors}{more})")
    return "\n".join(lines)


def _digest_feed(store: Store, settings: Settings, frequency: Frequency) -> Response:
    now = utc_now()
    finder = CandidateFinder(store, now=now, trust_hours=settings.vote_trust_hours)
    periods = recent_periods(store, frequency, today=now.date())
    entries = []
    for period in periods:
        digest = archive_digest(store, period, now=now, finder=finder)
        count = digest.paper_count if digest else 0
        entries.append(
            AtomEntry(
                url=settings.public_url(digest_url(frequency, period.label)),
                title=f"Trending, {period_title(period)}: {count} paper{'s' if count != 1 else ''}",
                updated=ranking_moment(period, now),  # when it closed, or now
                summary=_summary(digest),
            )
        )
    info = FeedInfo(
        title=f"{settings.site_name}: {FEED_TITLES[frequency].lower()}",
        subtitle=f"Each {'day' if frequency == 'daily' else 'week'}'s trending papers.",
        self_url=settings.public_url(f"/feeds/digests/{frequency}.atom"),
        html_url=settings.public_url(
            digest_url(frequency, periods[0].label) if periods else "/trending"
        ),
        author=settings.site_name,
    )
    body = render_atom_entries(info, entries, fallback_updated=store.data_version().changed_at)
    return Response(content=body, media_type=ATOM_TYPE)


@router.get("/feeds/digests/daily.atom", summary="Atom feed of the daily digests")
@cached(Cache.DATA)
def daily_digest_feed(store: StoreDep, settings: SettingsDep) -> Response:
    return _digest_feed(store, settings, "daily")


@router.get("/feeds/digests/weekly.atom", summary="Atom feed of the weekly digests")
@cached(Cache.DATA)
def weekly_digest_feed(store: StoreDep, settings: SettingsDep) -> Response:
    return _digest_feed(store, settings, "weekly")
