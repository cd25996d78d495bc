"""Submissions in the domain and the store, on SQLite and PostgreSQL: by id or URL, a
stored paper or one fetched from a loopback server replaying recorded arXiv answers;
duplicates merge; the daily limit; the age limit; decisions, their audit entries and
what an approved submission does to the daily list."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from paperwire.browse.listing import newest_papers, papers_for_day, papers_for_range
from paperwire.browse.periods import Period
from paperwire.community import audit, submissions
from paperwire.community.ratelimit import RateLimited
from paperwire.community.submissions import (
    ArxivUnavailable,
    DecisionConflict,
    SubmissionNotFound,
    SubmissionRules,
    UnknownPaper,
)
from paperwire.errors import InvalidParameter
from paperwire.ingest.arxiv_api import ArxivApi
from paperwire.models import Paper
from paperwire.store import Store
from tests.community.helpers import make_user
from tests.ingest.netfakes import FakeClock, fake_fetcher, load_api_recordings
from tests.replay import Reply

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday
RULES = SubmissionRules(daily_limit=10, max_age_days=14)


def paper(
    ident: str,
    *,
    submitted: datetime,
    announced: date | None = None,
    cats: tuple[str, ...] = ("cs.LG",),
) -> Paper:
    return Paper(
        id=ident,
        title=f"Paper {ident}",
        abstract="An abstract.",
        categories=list(cats),
        version=1,
        submitted=submitted,
        updated=submitted,
        announced=announced,
    )


def community_version(store: Store) -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT version FROM data_versions WHERE name = 'community'")
    assert row is not None
    return int(row["version"])


def submission_rows(store: Store) -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT COUNT(*) AS n FROM submissions")
    assert row is not None
    return int(row["n"])


def arxiv_for(replay) -> ArxivApi:  # type: ignore[no-untyped-def]
    return ArxivApi(fake_fetcher(FakeClock()), base_url=replay.base_url + "/api/query")


# --- submitting ------------------------------------------------------------------------


def test_submit_a_stored_paper_by_id_and_url_forms(store: Store) -> None:
    store.upsert_papers([paper("2603.00001", submitted=T0 - timedelta(days=2))])
    alice = make_user(store, "alice@example.org", name="Alice")
    made, created = submissions.submit_paper(store, alice, "2603.00001", now=T0, rules=RULES)
    assert created and made.status == "pending" and made.paper_id == "2603.00001"
    assert made.submitter == "Alice" and made.submitted_day == T0.date()
    assert made.submitted_at == T0 and made.title == "Paper 2603.00001"
    # Every spelling of the same paper is the same submission.
    for text in (
        "2603.00001v1",
        "arXiv:2603.00001",
        "https://arxiv.org/abs/2603.00001v2",
        "http://www.arxiv.org/pdf/2603.00001v1.pdf",
        " https://arxiv.org/html/2603.00001 ",
    ):
        again, created = submissions.submit_paper(store, alice, text, now=T0, rules=RULES)
        assert (again.id, created) == (made.id, False), text
    assert submission_rows(store) == 1


def test_text_that_is_no_arxiv_id_is_a_400_naming_the_field(store: Store) -> None:
    alice = make_user(store, "alice@example.org")
    for text in ("", "hello", "https://example.org/abs/2603.00001", "x" * 5000):
        with pytest.raises(InvalidParameter) as err:
            submissions.submit_paper(store, alice, text, now=T0, rules=RULES)
        assert err.value.parameter == "arxiv_id"


def test_duplicates_merge_whoever_submits(store: Store) -> None:
    store.upsert_papers([paper("2603.00002", submitted=T0 - timedelta(days=1))])
    alice = make_user(store, "alice@example.org")
    bob = make_user(store, "bob@example.org")
    first, _ = submissions.submit_paper(store, alice, "2603.00002", now=T0, rules=RULES)
    second, created = submissions.submit_paper(
        store, bob, "2603.00002", now=T0 + timedelta(hours=1), rules=RULES
    )
    assert not created and second.id == first.id and second.submitter == "alice"
    assert store.count_submissions(user_id=bob.id) == 0


def test_concurrent_submissions_of_one_paper_make_one_row(store: Store) -> None:
    store.upsert_papers([paper("2603.00003", submitted=T0)])
    users = [make_user(store, f"u{i}@example.org") for i in range(8)]
    results: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def submit(user) -> None:  # type: ignore[no-untyped-def]
        made, created = submissions.submit_paper(store, user, "2603.00003", now=T0, rules=RULES)
        with lock:
            results.append((made.id, created))

    threads = [threading.Thread(target=submit, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({i for i, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert submission_rows(store) == 1


def test_daily_limit_counts_new_submissions_per_utc_day(store: Store) -> None:
    store.upsert_papers([paper(f"2603.0001{i}", submitted=T0) for i in range(5)])
    alice = make_user(store, "alice@example.org")
    rules = SubmissionRules(daily_limit=2, max_age_days=14)
    submissions.submit_paper(store, alice, "2603.00010", now=T0, rules=rules)
    submissions.submit_paper(store, alice, "2603.00011", now=T0, rules=rules)
    # A merge is no new submission: it does not count, nor is it refused.
    _, created = submissions.submit_paper(store, alice, "2603.00010", now=T0, rules=rules)
    assert not created
    with pytest.raises(RateLimited) as err:
        submissions.submit_paper(store, alice, "2603.00012", now=T0, rules=rules)
    assert err.value.retry_after == 15 * 3600  # 09:00 UTC to midnight
    assert "2 submissions today" in err.value.message
    assert store.count_submissions(user_id=alice.id) == 2
    # Another account is not limited by alice's, and alice may submit again tomorrow.
    bob = make_user(store, "bob@example.org")
    submissions.submit_paper(store, bob, "2603.00012", now=T0, rules=rules)
    made, created = submissions.submit_paper(
        store, alice, "2603.00013", now=T0 + timedelta(days=1), rules=rules
    )
    assert created and made.submitted_day == T0.date() + timedelta(days=1)
    # 0 means no limit.
    unlimited = SubmissionRules(daily_limit=0, max_age_days=14)
    submissions.submit_paper(store, alice, "2603.00014", now=T0, rules=unlimited)


def test_daily_limit_is_exact_under_concurrent_submissions(store: Store) -> None:
    ids = [f"2603.0002{i}" for i in range(6)]
    store.upsert_papers([paper(i, submitted=T0) for i in ids])
    alice = make_user(store, "alice@example.org")
    rules = SubmissionRules(daily_limit=3, max_age_days=14)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(ident: str) -> None:
        try:
            submissions.submit_paper(store, alice, ident, now=T0, rules=rules)
            result = "ok"
        except RateLimited:
            result = "limited"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["limited"] * 3 + ["ok"] * 3
    assert store.count_submissions(user_id=alice.id) == 3


def test_papers_older_than_the_age_limit_are_refused(store: Store) -> None:
    store.upsert_papers(
        [
            paper("2602.00001", submitted=T0 - timedelta(days=15)),
            paper("2602.00002", submitted=T0 - timedelta(days=14, hours=8)),
        ]
    )
    alice = make_user(store, "alice@example.org")
    with pytest.raises(InvalidParameter) as err:
        submissions.submit_paper(store, alice, "2602.00001", now=T0, rules=RULES)
    message = str(err.value)
    assert "2602.00001" in message and "2026-02-17" in message and "15 days ago" in message
    assert "14 days" in message
    # Fourteen days old (by the first version's date) is still fine.
    submissions.submit_paper(store, alice, "2602.00002", now=T0, rules=RULES)
    # 0: no limit at all.
    made, created = submissions.submit_paper(
        store, alice, "2602.00001", now=T0, rules=SubmissionRules(daily_limit=10, max_age_days=0)
    )
    assert created and made.status == "pending"


def test_unknown_paper_without_arxiv_names_the_id(store: Store) -> None:
    alice = make_user(store, "alice@example.org")
    with pytest.raises(UnknownPaper) as err:
        submissions.submit_paper(
            store, alice, "https://arxiv.org/abs/2603.99999v3", now=T0, rules=RULES
        )
    assert "2603.99999" in str(err.value)


# --- fetched from arXiv (a loopback server replaying recorded answers) -----------------


def test_submit_a_paper_fetched_from_arxiv(store: Store, replay) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay, "id_1707.08567_*.json")
    alice = make_user(store, "alice@example.org")
    now = datetime(2017, 8, 1, 12, 0, tzinfo=UTC)  # days after its first version
    made, created = submissions.submit_paper(
        store,
        alice,
        "https://arxiv.org/abs/1707.08567v1",
        now=now,
        rules=RULES,
        arxiv=arxiv_for(replay),
    )
    assert created and made.paper_id == "1707.08567" and made.status == "pending"
    stored = store.get_paper("1707.08567")
    assert stored is not None and stored.title.startswith("Proceedings of Workshop AEW10")
    assert stored.categories == ["cs.IT"]
    assert len(replay.requests) == 1
    # Stored now: submitting it again asks arXiv nothing.
    again, created = submissions.submit_paper(
        store, alice, "1707.08567", now=now, rules=RULES, arxiv=arxiv_for(replay)
    )
    assert (again.id, created) == (made.id, False) and len(replay.requests) == 1


def test_a_fetched_paper_too_old_is_refused_and_not_stored(store: Store, replay) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay, "id_1605.08386_*.json")
    alice = make_user(store, "alice@example.org")
    with pytest.raises(InvalidParameter) as err:
        submissions.submit_paper(
            store, alice, "1605.08386", now=T0, rules=RULES, arxiv=arxiv_for(replay)
        )
    assert "2016-05-26" in str(err.value)
    assert store.get_paper("1605.08386") is None and submission_rows(store) == 0


def test_unknown_on_arxiv_and_arxiv_down(store: Store, replay) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay, "id_0000.0000_*.json")
    from tests.ingest.test_arxiv_api import route_ids

    route_ids(replay, "2603.99999", "id_0000.0000_*.json")  # arXiv's empty feed
    alice = make_user(store, "alice@example.org")
    with pytest.raises(UnknownPaper) as err:
        submissions.submit_paper(
            store, alice, "2603.99999", now=T0, rules=RULES, arxiv=arxiv_for(replay)
        )
    assert str(err.value) == "arXiv has no paper with id '2603.99999'"
    replay.routes.clear()
    replay.add("/api/query", Reply(503, "down", content_type="text/plain"))
    with pytest.raises(ArxivUnavailable) as down:
        submissions.submit_paper(
            store, alice, "2603.99998", now=T0, rules=RULES, arxiv=arxiv_for(replay)
        )
    assert "2603.99998" in str(down.value) and "HTTP 503" in str(down.value)
    assert submission_rows(store) == 0


def test_arxiv_lookups_are_rate_limited_per_account(store: Store, replay) -> None:  # type: ignore[no-untyped-def]
    from tests.ingest.test_arxiv_api import route_ids

    alice = make_user(store, "alice@example.org")
    api = arxiv_for(replay)
    for i in range(submissions.LOOKUP_LIMIT):
        route_ids(replay, f"2603.{90000 + i}", "id_0000.0000_*.json")
        with pytest.raises(UnknownPaper):
            submissions.submit_paper(
                store, alice, f"2603.{90000 + i}", now=T0, rules=RULES, arxiv=api
            )
    with pytest.raises(RateLimited):
        submissions.submit_paper(store, alice, "2603.99990", now=T0, rules=RULES, arxiv=api)
    assert len(replay.requests) == submissions.LOOKUP_LIMIT  # the refused one asked nothing


# --- deciding --------------------------------------------------------------------------


def test_moderators_approve_and_reject_with_a_reason_each_audited(store: Store) -> None:
    store.upsert_papers([paper("2603.00031", submitted=T0), paper("2603.00032", submitted=T0)])
    alice = make_user(store, "alice@example.org")
    mod = make_user(store, "mod@example.org", role="moderator", name="Mo")
    one, _ = submissions.submit_paper(store, alice, "2603.00031", now=T0, rules=RULES)
    two, _ = submissions.submit_paper(store, alice, "2603.00032", now=T0, rules=RULES)
    version = community_version(store)

    with pytest.raises(PermissionError):
        submissions.approve_submission(store, alice, one.id, now=T0)
    approved = submissions.approve_submission(store, mod, one.id, now=T0 + timedelta(hours=1))
    assert approved.status == "approved" and approved.decided_by == "Mo"
    assert approved.decided_at == T0 + timedelta(hours=1)
    assert community_version(store) == version + 1
    with pytest.raises(DecisionConflict):
        submissions.approve_submission(store, mod, one.id, now=T0)

    for reason in ("", "   ", None):
        with pytest.raises(InvalidParameter) as err:
            submissions.reject_submission(store, mod, two.id, reason, now=T0)  # type: ignore[arg-type]
        assert err.value.parameter == "reason"
    with pytest.raises(InvalidParameter):
        submissions.reject_submission(store, mod, two.id, "x" * 501, now=T0)
    assert store.get_submission(two.id).status == "pending"  # type: ignore[union-attr]
    rejected = submissions.reject_submission(
        store, mod, two.id, "  Not a research paper. ", now=T0 + timedelta(hours=2)
    )
    assert rejected.status == "rejected" and rejected.reason == "Not a research paper."
    with pytest.raises(SubmissionNotFound):
        submissions.approve_submission(store, mod, 999_999, now=T0)

    log = audit.list_entries(store)
    assert [(e.action, e.target, e.actor_name) for e in log[:2]] == [
        ("reject", f"submission:{two.id}", "Mo"),
        ("approve", f"submission:{one.id}", "Mo"),
    ]
    assert log[0].detail == "paper 2603.00032: Not a research paper."
    assert log[1].detail == "paper 2603.00031"


def test_who_sees_which_submissions(store: Store) -> None:
    store.upsert_papers([paper(f"2603.0004{i}", submitted=T0) for i in range(3)])
    alice = make_user(store, "alice@example.org")
    bob = make_user(store, "bob@example.org")
    mod = make_user(store, "mod@example.org", role="admin")
    a, _ = submissions.submit_paper(store, alice, "2603.00040", now=T0, rules=RULES)
    b, _ = submissions.submit_paper(store, bob, "2603.00041", now=T0, rules=RULES)
    c, _ = submissions.submit_paper(store, alice, "2603.00042", now=T0, rules=RULES)
    submissions.reject_submission(store, mod, c.id, "duplicate of another paper", now=T0)
    assert [s.id for s in submissions.list_submissions(store, alice)] == [c.id, a.id]
    assert [s.id for s in submissions.list_submissions(store, mod)] == [c.id, b.id, a.id]
    assert [s.id for s in submissions.list_submissions(store, mod, status="pending")] == [
        b.id,
        a.id,
    ]
    assert [s.id for s in submissions.list_submissions(store, mod, before=c.id, limit=1)] == [b.id]
    with pytest.raises(InvalidParameter):
        submissions.list_submissions(store, mod, status="all")
    assert submissions.get_submission(store, alice, a.id).id == a.id
    with pytest.raises(SubmissionNotFound):
        submissions.get_submission(store, bob, a.id)
    assert store.count_submissions(status="pending") == 2


# --- the daily list ----------------------------------------------------------------------


def test_an_approved_submission_lists_its_paper_on_its_submission_day(store: Store) -> None:
    monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
    wednesday = T0.date()
    store.upsert_papers(
        [
            paper("2603.00051", submitted=T0 - timedelta(days=3), announced=monday),
            paper("2603.00052", submitted=T0 - timedelta(days=2), announced=tuesday),
            paper("2603.00053", submitted=T0 - timedelta(days=1), announced=wednesday),
            paper("2603.00054", submitted=T0 - timedelta(days=1), announced=wednesday),
        ]
    )
    alice = make_user(store, "alice@example.org")
    mod = make_user(store, "mod@example.org", role="moderator")
    listed = papers_for_day(store, wednesday)
    assert [p.id for p in listed.papers] == ["2603.00054", "2603.00053"]
    assert store.newest_listed_day() == wednesday

    # Pending or rejected submissions list nothing.
    old, _ = submissions.submit_paper(store, alice, "2603.00051", now=T0, rules=RULES)
    same, _ = submissions.submit_paper(store, alice, "2603.00053", now=T0, rules=RULES)
    assert [p.id for p in papers_for_day(store, wednesday).papers] == ["2603.00054", "2603.00053"]
    submissions.approve_submission(store, mod, old.id, now=T0)
    submissions.approve_submission(store, mod, same.id, now=T0)

    listing = papers_for_day(store, wednesday)
    # The Monday paper joins Wednesday; the Wednesday paper is not listed twice.
    assert [p.id for p in listing.papers] == ["2603.00054", "2603.00053", "2603.00051"]
    assert [p.listed_on for p in listing.papers] == [wednesday] * 3
    assert listing.total == 3 and listing.category_counts == {"cs.LG": 3}
    # Its own day still lists it.
    assert [p.id for p in papers_for_day(store, monday).papers] == ["2603.00051"]
    assert papers_for_day(store, monday).papers[0].listed_on == monday
    # A range holding both of its days lists it once, under the later one; so do the
    # open ranges (the front page, author and category pages).
    week = Period("week", monday, monday + timedelta(days=6))
    ranged = papers_for_range(store, week)
    assert [p.id for p in ranged.papers] == ["2603.00054", "2603.00053", "2603.00051", "2603.00052"]
    assert [p.listed_on for p in ranged.papers] == [wednesday] * 3 + [tuesday]
    assert ranged.total == 4 and ranged.category_counts == {"cs.LG": 4}
    everything = store.list_papers()
    assert [(p.id, p.listed_on) for p in everything] == [
        ("2603.00054", wednesday),
        ("2603.00053", wednesday),
        ("2603.00051", wednesday),
        ("2603.00052", tuesday),
    ]
    assert store.count_listed() == 4 and store.listed_category_counts() == {"cs.LG": 4}
    monday_and_tuesday = papers_for_range(store, Period("range", monday, tuesday))
    assert [p.id for p in monday_and_tuesday.papers] == ["2603.00052", "2603.00051"]
    assert store.count_listed(start=wednesday, end=wednesday) == 3
    # Filters apply to it as to any paper of the day.
    from paperwire.models import SearchFilters

    assert (
        store.count_listed(
            start=wednesday, end=wednesday, filters=SearchFilters(categories=("math",))
        )
        == 0
    )

    # Rejecting it later takes it off the list again.
    submissions.reject_submission(store, mod, old.id, "approved by mistake", now=T0)
    assert [p.id for p in papers_for_day(store, wednesday).papers] == ["2603.00054", "2603.00053"]


def test_a_paper_submitted_before_its_announcement_stays_on_its_own_day(store: Store) -> None:
    tuesday, thursday = date(2026, 3, 3), date(2026, 3, 5)
    store.upsert_papers([paper("2603.00081", submitted=T0 - timedelta(days=1), announced=thursday)])
    alice = make_user(store, "alice@example.org")
    mod = make_user(store, "mod@example.org", role="moderator")
    made, _ = submissions.submit_paper(store, alice, "2603.00081", now=T0, rules=RULES)
    submissions.approve_submission(store, mod, made.id, now=T0)
    # Submitted on Wednesday, announced on Thursday: each day lists it; a range holding
    # both lists it once, on Thursday, the later day.
    assert [p.id for p in papers_for_day(store, T0.date()).papers] == ["2603.00081"]
    assert [p.id for p in papers_for_day(store, thursday).papers] == ["2603.00081"]
    week = papers_for_range(store, Period("range", tuesday, thursday))
    assert [(p.id, p.listed_on) for p in week.papers] == [("2603.00081", thursday)]
    assert week.total == 1


def test_keyset_pages_through_listed_and_submitted_papers_exactly(store: Store) -> None:
    day = T0.date()
    earlier = day - timedelta(days=9)
    listed = [
        paper(f"2603.001{i:02d}", submitted=T0 - timedelta(days=1), announced=day) for i in range(7)
    ]
    brought = [
        paper(f"2603.002{i:02d}", submitted=T0 - timedelta(days=9), announced=earlier)
        for i in range(5)
    ]
    store.upsert_papers(listed + brought)
    mod = make_user(store, "mod@example.org", role="moderator")
    users = [make_user(store, f"u{i}@example.org") for i in range(5)]
    for user, p in zip(users, brought, strict=True):
        made, _ = submissions.submit_paper(store, user, p.id, now=T0, rules=RULES)
        submissions.approve_submission(store, mod, made.id, now=T0)

    whole = [p.id for p in papers_for_day(store, day, limit=50).papers]
    assert whole == sorted((p.id for p in listed + brought), reverse=True)
    for size in (1, 2, 3, 5):
        seen: list[str] = []
        cursor = None
        while True:
            page = papers_for_day(store, day, limit=size, cursor=cursor)
            seen += [p.id for p in page.papers]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == whole, size
    # Offsets page the merged order too.
    assert [p.id for p in papers_for_day(store, day, limit=4, offset=4).papers] == whole[4:8]
    # Over all days (the front page's query) the brought papers are on the later day.
    seen, cursor = [], None
    while True:
        page = newest_papers(store, limit=3, cursor=cursor)
        seen += [(p.id, p.listed_on) for p in page.papers]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [(i, day) for i in whole]


def test_a_submission_day_with_no_announcement_is_the_newest_day(store: Store) -> None:
    friday = date(2026, 3, 6)
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)
    store.upsert_papers(
        [paper("2603.00061", submitted=saturday - timedelta(days=2), announced=friday)]
    )
    alice = make_user(store, "alice@example.org", name="Alice")
    mod = make_user(store, "mod@example.org", role="moderator")
    made, _ = submissions.submit_paper(store, alice, "2603.00061", now=saturday, rules=RULES)
    assert store.newest_listed_day() == friday
    submissions.approve_submission(store, mod, made.id, now=saturday)
    assert store.newest_listed_day() == saturday.date()
    newest = papers_for_day(store)
    assert newest.period is not None and newest.period.start == saturday.date()
    assert [p.id for p in newest.papers] == ["2603.00061"] and newest.state == "papers"
    assert store.adjacent_listed_days(friday, friday) == (None, saturday.date())
    assert store.adjacent_listed_days(saturday.date(), saturday.date()) == (friday, None)


def test_submitted_papers_by_display_name(store: Store) -> None:
    store.upsert_papers([paper(f"2603.0007{i}", submitted=T0) for i in range(3)])
    alice = make_user(store, "alice@example.org", name="Alice Liddell")
    bob = make_user(store, "bob_1@example.org")  # no name: shown as "bob_1"
    mod = make_user(store, "mod@example.org", role="moderator")
    for user, ident, when in (
        (alice, "2603.00070", T0),
        (bob, "2603.00071", T0),
        (alice, "2603.00072", T0 + timedelta(days=1)),
    ):
        made, _ = submissions.submit_paper(store, user, ident, now=when, rules=RULES)
        submissions.approve_submission(store, mod, made.id, now=when)
    assert [p.id for p in store.submitted_papers(submitter="Alice Liddell")] == [
        "2603.00072",
        "2603.00070",
    ]
    assert [p.id for p in store.submitted_papers(submitter="bob_1")] == ["2603.00071"]
    assert (
        store.submitted_papers(submitter="bob") == []
        and store.submitted_papers(submitter="bob%") == []
    )
    assert store.submitted_papers(submitter="alice") == []  # she has a name: that is what is shown
    one_day = store.submitted_papers(submitter="Alice Liddell", start=T0.date(), end=T0.date())
    assert [p.id for p in one_day] == ["2603.00070"] and one_day[0].listed_on == T0.date()


def test_a_day_page_finds_its_submissions_through_the_day_index(sqlite_store: Store) -> None:
    """One day's listing asks for the approved submissions of that day: the plan walks
    ``submissions_day`` for that range, never every approved submission there is."""
    from paperwire.store.listing_sql import SUBMITTED_FROM, submitted_where

    store = sqlite_store
    day = T0.date()
    where, params = submitted_where(
        store.listings.dialect,  # type: ignore[attr-defined]
        start=day,
        end=day,
        filters=None,
    )
    with store._reading() as db:  # type: ignore[attr-defined]
        probe = db.fetchall(
            "EXPLAIN QUERY PLAN SELECT 1 FROM submissions "
            "WHERE status = 'approved' AND submitted_day >= ? AND submitted_day <= ? LIMIT 1",
            (day, day),
        )
        arm = db.fetchall(
            f"EXPLAIN QUERY PLAN SELECT papers.id FROM {SUBMITTED_FROM} WHERE {where}", params
        )
    for plan in (probe, arm):
        details = " ".join(str(row["detail"]) for row in plan)
        assert "INDEX submissions_day (submitted_day>? AND submitted_day<?)" in details
    with store._reading() as db:  # type: ignore[attr-defined]
        queue = db.fetchall(
            "EXPLAIN QUERY PLAN SELECT s.id FROM submissions s WHERE s.status = 'pending' "
            "ORDER BY s.id DESC LIMIT 25"
        )
    assert "submissions_pending" in " ".join(str(row["detail"]) for row in queue)
