"""compose_digest is a pure function: these tests give it preferences, candidates and
what was already sent, and read the digest back. No store, no clock."""

from __future__ import annotations

from datetime import date

from paperwire.browse.periods import day_period, week_period
from paperwire.digest.compose import Candidates, Exclusions, compose_digest
from paperwire.digest.period import DigestPeriod
from paperwire.models import SubscriptionPrefs
from tests.browse.helpers import paper_on

DAY = date(2026, 12, 4)
PERIOD = DigestPeriod("daily", day_period(DAY))


def papers(*numbers: int, title: str | None = None):  # type: ignore[no-untyped-def]
    return [paper_on(DAY, n, title=title) for n in numbers]


def ids(digest) -> list[str]:  # type: ignore[no-untyped-def]
    return list(digest.paper_ids)


def test_sections_in_order_each_paper_once() -> None:
    trending = papers(1, 2, 3)
    candidates = Candidates(
        trending=trending,
        categories={"cs.CV": papers(3, 4)},
        queries={"diffusion": papers(4, 5)},
        authors={"Grace Hopper": papers(1, 6)},
    )
    prefs = SubscriptionPrefs(
        trending=True, categories=("cs.CV",), queries=("diffusion",), authors=("Grace Hopper",)
    )
    digest = compose_digest(prefs, candidates, period=PERIOD, already_sent=set(), announced=True)
    assert digest is not None
    assert [(s.kind, s.key) for s in digest.sections] == [
        ("trending", ""),
        ("category", "cs.CV"),
        ("search", "diffusion"),
        ("author", "Grace Hopper"),
    ]
    got = [[p.id for p in s.papers] for s in digest.sections]
    want = [[p.id for p in ps] for ps in (papers(1, 2, 3), papers(4), papers(5), papers(6))]
    assert got == want
    assert len(set(ids(digest))) == len(ids(digest)) == 6


def test_never_repeats_a_paper_already_sent() -> None:
    candidates = Candidates(trending=papers(1, 2, 3), categories={"cs.LG": papers(2, 4)})
    prefs = SubscriptionPrefs(categories=("cs.LG",))
    sent = {paper_on(DAY, 1).id, paper_on(DAY, 4).id}
    digest = compose_digest(prefs, candidates, period=PERIOD, already_sent=sent, announced=True)
    assert digest is not None
    assert ids(digest) == [p.id for p in papers(2, 3)]
    assert not sent & set(ids(digest))


def test_everything_already_sent_is_no_digest() -> None:
    candidates = Candidates(trending=papers(1, 2))
    sent = {p.id for p in papers(1, 2)}
    assert (
        compose_digest(
            SubscriptionPrefs(), candidates, period=PERIOD, already_sent=sent, announced=True
        )
        is None
    )


def test_empty_is_none() -> None:
    prefs = SubscriptionPrefs(trending=False, categories=("math.AG",), queries=("nothing",))
    assert (
        compose_digest(
            prefs, Candidates(trending=papers(1)), period=PERIOD, already_sent=set(), announced=True
        )
        is None
    )
    assert (
        compose_digest(
            SubscriptionPrefs(), Candidates(), period=PERIOD, already_sent=set(), announced=True
        )
        is None
    )


def test_no_announcement_sends_nothing_or_the_note_asked_for() -> None:
    candidates = Candidates(trending=papers(1, 2))
    assert (
        compose_digest(
            SubscriptionPrefs(), candidates, period=PERIOD, already_sent=set(), announced=False
        )
        is None
    )
    noted = compose_digest(
        SubscriptionPrefs(no_announcement_note=True),
        candidates,
        period=PERIOD,
        already_sent=set(),
        announced=False,
    )
    assert noted is not None and noted.sections == () and noted.paper_ids == ()
    assert (
        noted.note is not None
        and "no announcement" in noted.note
        and "Friday, 04 December 2026" in noted.note
    )
    weekly = DigestPeriod("weekly", week_period(DAY))
    note = compose_digest(
        SubscriptionPrefs(no_announcement_note=True),
        Candidates(),
        period=weekly,
        already_sent=set(),
        announced=False,
    )
    assert note is not None and note.note is not None and "2026-W49" in note.note


def test_excluded_words_hide_papers_from_every_section() -> None:
    hidden_title = paper_on(DAY, 1, title="Transformers for Protein Folding")
    hidden_abstract = paper_on(DAY, 2, title="A quiet title")
    hidden_abstract.abstract = "We study GRAPH neural networks."
    kept = paper_on(DAY, 3, title="Transform coding revisited")
    candidates = Candidates(
        trending=[hidden_title, hidden_abstract, kept],
        authors={"Ada Lovelace": [hidden_title, hidden_abstract]},
    )
    prefs = SubscriptionPrefs(authors=("Ada Lovelace",), exclude=("transformer*", "graph neural"))
    digest = compose_digest(prefs, candidates, period=PERIOD, already_sent=set(), announced=True)
    assert digest is not None
    assert ids(digest) == [kept.id]
    assert [s.kind for s in digest.sections] == ["trending"]


def test_exclusions_match_whole_words_and_phrases() -> None:
    paper = paper_on(DAY, 1, title="Graph-based retrieval of neural codes")
    assert Exclusions.parse(["graph"]).hides(paper)
    assert not Exclusions.parse(["grap"]).hides(paper)
    assert Exclusions.parse(["grap*"]).hides(paper)
    assert not Exclusions.parse(["graph neural"]).hides(paper)
    assert Exclusions.parse(["NEURAL codes"]).hides(paper)
    assert not Exclusions.parse(["", "  ", "***"]).hides(paper)


def test_long_sections_are_cut_and_counted() -> None:
    many = [paper_on(DAY, n) for n in range(1, 26)]
    digest = compose_digest(
        SubscriptionPrefs(),
        Candidates(trending=many),
        period=PERIOD,
        already_sent=set(),
        announced=True,
    )
    assert digest is not None
    [section] = digest.sections
    assert len(section.papers) == 10 and section.more == 15
    weekly = compose_digest(
        SubscriptionPrefs(),
        Candidates(trending=many),
        period=DigestPeriod("weekly", week_period(DAY)),
        already_sent=set(),
        announced=True,
    )
    assert weekly is not None and len(weekly.sections[0].papers) == 20


def test_compose_does_not_change_its_inputs() -> None:
    trending = papers(1, 2)
    sent = {paper_on(DAY, 9).id}
    candidates = Candidates(trending=trending)
    first = compose_digest(
        SubscriptionPrefs(), candidates, period=PERIOD, already_sent=sent, announced=True
    )
    second = compose_digest(
        SubscriptionPrefs(), candidates, period=PERIOD, already_sent=sent, announced=True
    )
    assert first == second
    assert sent == {paper_on(DAY, 9).id} and [p.id for p in trending] == [
        p.id for p in papers(1, 2)
    ]
