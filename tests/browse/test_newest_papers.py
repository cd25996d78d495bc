"""The front page's listing (``browse.listing.newest_papers``): the newest day, then the
days before it until the page is full, paged by cursor without overlap, on the bundled
sample (one paper a day) on both backends; and a few queries however many days it
crosses."""

from __future__ import annotations

from datetime import date, timedelta

from paperwire.browse.listing import listed_day, newest_papers, papers_for_day
from paperwire.models import SearchFilters
from paperwire.store import Store
from tests.browse.helpers import paper_on


def test_the_first_page_is_full_across_days(sample_store: Store) -> None:
    newest = sample_store.newest_listed_day()
    assert newest is not None
    assert len(papers_for_day(sample_store).papers) == 1  # the sample: one paper a day
    page = newest_papers(sample_store, limit=50)
    assert len(page.papers) == 50
    days = [listed_day(p) for p in page.papers]
    assert days[0] == newest and days == sorted(days, reverse=True)  # type: ignore[type-var]
    assert len(set(days)) > 40  # many days, each under its own heading on the page
    assert page.period is not None and (page.period.start, page.period.end) == (days[-1], newest)
    # the listing order of every listing: newest day first, then id descending
    assert [p.id for p in page.papers] == [p.id for p in sample_store.list_papers(limit=50)]
    assert sum(page.category_counts.values()) >= 50


def test_more_pages_continue_where_the_page_stopped(sample_store: Store) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = newest_papers(sample_store, limit=30, cursor=cursor)
        seen += [p.id for p in page.papers]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    everything = sample_store.list_papers(limit=1000)
    assert seen == [p.id for p in everything] and len(set(seen)) == len(seen)
    assert pages == -(-len(everything) // 30)


def test_filters_apply_across_days(sample_store: Store) -> None:
    page = newest_papers(sample_store, filters=SearchFilters(categories=("cs",)), limit=20)
    assert len(page.papers) == 20
    assert all(any(c.startswith("cs.") for c in p.categories) for p in page.papers)
    nothing = newest_papers(sample_store, filters=SearchFilters(categories=("q-fin.TR",)), limit=20)
    assert nothing.papers == [] and nothing.state == "empty" and nothing.next_cursor is None


def test_an_empty_database_shows_an_empty_page(store: Store) -> None:
    page = newest_papers(store, today=date(2026, 1, 5))
    assert page.papers == [] and page.state == "empty" and page.period is not None
    assert page.period.start == date(2026, 1, 5)


def test_a_few_queries_however_many_days(sqlite_store: Store) -> None:
    start = date(2024, 1, 1)
    sqlite_store.upsert_papers([paper_on(start + timedelta(days=n), n + 1) for n in range(400)])
    statements: list[str] = []
    with sqlite_store._reading() as db:  # type: ignore[attr-defined]
        db.conn.set_trace_callback(
            statements.append
        )  # this thread's reader: the store reads through it
    try:
        page = newest_papers(sqlite_store, limit=200)
        more = newest_papers(sqlite_store, limit=200, cursor=page.next_cursor)
    finally:
        with sqlite_store._reading() as db:  # type: ignore[attr-defined]
            db.conn.set_trace_callback(None)
    assert len(page.papers) == len(more.papers) == 200
    assert len({listed_day(p) for p in page.papers}) == 200  # 200 days on one page
    listing_reads = [s for s in statements if "FROM papers" in s and "ORDER BY" in s]
    assert len(listing_reads) == 2, listing_reads  # one per page, not one per day
    assert len(statements) < 30, statements
