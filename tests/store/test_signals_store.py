"""The signals part of the store on both backends: which papers link which GitHub
repository (kept by triggers from the papers' links), what is due and in which order,
one star snapshot per repository per day, Hub links, pauses and the data version."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from paperwire.ingest.links import with_links
from paperwire.models import HubArtifact, HubLinks, Link, Paper, Repository
from paperwire.signals.github import github_name
from paperwire.store import Store
from tests.browse.helpers import paper_on

NOW = datetime(2025, 1, 7, 8, 0, tzinfo=UTC)
TODAY = NOW.date()


def linking(day: date, number: int, *urls: str) -> Paper:
    return replace(paper_on(day, number), links=[Link("code", u) for u in urls])


def links_table(store: Store) -> set[tuple[str, str]]:
    with store._reading() as db:  # type: ignore[attr-defined]
        rows = db.fetchall("SELECT paper_id, full_name FROM paper_repositories")
    return {(r["paper_id"], r["full_name"]) for r in rows}


def version(store: Store, name: str = "signals") -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT version FROM data_versions WHERE name = ?", (name,))
    assert row is not None
    return int(row["version"])


def test_triggers_link_papers_to_repositories_as_python_reads_the_links(store: Store) -> None:
    texts = [
        "Code at https://github.com/PyGithub/PyGithub/tree/main/github and github.com/Foo/Bar.git.",
        "See www.github.com/a-b/c.d), a gist https://gist.github.com/x/1 and gitlab.com/g/h.",
        "Models: https://huggingface.co/bert-base-uncased; project https://x.github.io/p/.",
        "No code here.",
    ]
    papers = [
        with_links(replace(paper_on(date(2024, 5, 6), i + 1), abstract=text))
        for i, text in enumerate(texts)
    ]
    # A link a source brought itself, outside the normal form: deep, upper-case.
    papers.append(
        replace(
            paper_on(date(2024, 5, 7), 9),
            links=[
                Link("code", "https://GitHub.com/Owner/Name"),
                Link("code", "https://github.com/a/b/c"),
            ],
        )
    )
    store.upsert_papers(papers)
    expected = {
        (p.id, name)
        for p in papers
        for link in p.code_links
        if (name := github_name(link.url)) is not None
    }
    assert expected == {
        ("2405.00001", "pygithub/pygithub"),
        ("2405.00001", "foo/bar"),
        ("2405.00002", "a-b/c.d"),
        ("2405.00009", "owner/name"),
    }
    assert links_table(store) == expected
    repo = store.get_repository("pygithub/pygithub")
    assert repo is not None and repo.status == "new" and repo.newest_day == date(2024, 5, 6)


def test_a_new_version_that_drops_a_link_drops_it_and_deletion_cascades(store: Store) -> None:
    store.upsert_papers(
        [linking(date(2024, 5, 6), 1, "https://github.com/a/one", "https://github.com/a/two")]
    )
    paper = linking(date(2024, 5, 6), 1, "https://github.com/a/two")
    store.upsert_papers([replace(paper, version=2, title="Changed")])
    assert links_table(store) == {("2405.00001", "a/two")}
    store.upsert_papers([replace(paper, version=3, links=[])])
    assert links_table(store) == set()
    store.upsert_papers([replace(paper, version=4)])
    store.delete_papers(["2405.00001"])
    assert links_table(store) == set()
    assert store.get_repository("a/two") is not None  # its history stays


def test_due_order_newest_papers_first_then_the_stalest(store: Store) -> None:
    store.upsert_papers(
        [
            linking(date(2024, 1, 2), 1, "https://github.com/a/old"),
            linking(date(2024, 6, 2), 2, "https://github.com/a/newer"),
            linking(date(2024, 3, 2), 3, "https://github.com/a/middle"),
            linking(date(2024, 3, 3), 4, "https://github.com/a/checked-early"),
            linking(date(2024, 3, 4), 5, "https://github.com/a/checked-late"),
        ]
    )
    for name, due in (
        ("a/checked-early", NOW - timedelta(hours=5)),
        ("a/checked-late", NOW - timedelta(hours=1)),
    ):
        repo = store.get_repository(name)
        assert repo is not None
        store.save_repository(
            replace(
                repo, status="ok", stars=1, checked_at=due - timedelta(hours=6), next_check_at=due
            ),
            day=TODAY,
        )
    names = [r.full_name for r in store.repositories_due(now=NOW, limit=10)]
    assert names == ["a/newer", "a/middle", "a/old", "a/checked-early", "a/checked-late"]
    assert [r.full_name for r in store.repositories_due(now=NOW, limit=2)] == [
        "a/newer",
        "a/middle",
    ]
    later = [r.full_name for r in store.repositories_due(now=NOW - timedelta(hours=3), limit=10)]
    assert later == ["a/newer", "a/middle", "a/old", "a/checked-early"]
    # A newer paper linking a checked repository makes it due at once, ahead of older ones.
    store.upsert_papers([linking(date(2024, 7, 1), 6, "https://github.com/a/checked-late")])
    assert [r.full_name for r in store.repositories_due(now=NOW - timedelta(hours=3), limit=1)] == [
        "a/checked-late"
    ]


def test_one_snapshot_a_day_and_stars_gained_over_a_week(store: Store) -> None:
    store.upsert_papers([linking(date(2024, 12, 30), 1, "https://github.com/a/r")])
    repo = store.get_repository("a/r")
    assert repo is not None
    before = version(store)
    for day, stars in ((date(2024, 12, 28), 10), (date(2025, 1, 2), 40), (date(2025, 1, 7), 70)):
        store.save_repository(replace(repo, status="ok", stars=stars, checked_at=NOW), day=day)
    store.save_repository(replace(repo, status="ok", stars=75, checked_at=NOW), day=TODAY)
    assert store.star_snapshots("a/r") == [
        (date(2024, 12, 28), 10),
        (date(2025, 1, 2), 40),
        (date(2025, 1, 7), 75),
    ]
    saved = store.get_repository("a/r")
    assert saved is not None and saved.stars == 75 and saved.stars_week == 75 - 40
    assert version(store) > before
    # The same answer again changes nothing shown: no new data version.
    now_version = version(store)
    assert (
        store.save_repository(replace(saved, checked_at=NOW + timedelta(hours=1)), day=TODAY)
        is False
    )
    assert version(store) == now_version
    assert len(store.star_snapshots("a/r")) == 3


def test_repositories_for_papers_and_counts(store: Store) -> None:
    store.upsert_papers(
        [
            linking(date(2024, 5, 6), 1, "https://github.com/a/x", "https://github.com/a/y"),
            linking(date(2024, 5, 6), 2, "https://github.com/a/y"),
            paper_on(date(2024, 5, 6), 3),
        ]
    )
    repo = store.get_repository("a/y")
    assert repo is not None
    store.save_repository(replace(repo, status="gone", checked_at=NOW), day=TODAY)
    found = store.repositories_for_papers(["2405.00001", "2405.00002", "2405.00003"])
    assert {k: [r.full_name for r in v] for k, v in found.items()} == {
        "2405.00001": ["a/x", "a/y"],
        "2405.00002": ["a/y"],
    }
    assert store.count_repositories() == {"new": 1, "ok": 0, "gone": 1, "invalid": 0}


def test_hub_plan_saves_and_rechecks(store: Store) -> None:
    store.upsert_papers([paper_on(date(2024, 5, d), d) for d in (6, 7, 8)])
    medline = replace(paper_on(date(2024, 5, 9), 9), id="pmid:1", source="medline")
    store.upsert_papers([medline])
    assert [pid for pid, _ in store.hub_papers_due(now=NOW, limit=10)] == [
        "2405.00008",
        "2405.00007",
        "2405.00006",
    ]
    links = HubLinks(
        checked_at=NOW,
        models=2,
        spaces=1,
        artifacts=(
            HubArtifact("model", "org/big", likes=50, downloads=1000),
            HubArtifact("model", "org/small", likes=1, downloads=None),
            HubArtifact("space", "org/demo", likes=3),
        ),
    )
    before = version(store)
    assert store.save_hub_links("2405.00008", links, next_check_at=NOW + timedelta(days=1)) is True
    assert version(store) == before + 1
    assert store.hub_links_for_papers(["2405.00008", "2405.00007"]) == {"2405.00008": links}
    assert [pid for pid, _ in store.hub_papers_due(now=NOW, limit=10)] == [
        "2405.00007",
        "2405.00006",
    ]
    # Due again a day later, after the never-checked ones.
    later = NOW + timedelta(days=2)
    assert [pid for pid, _ in store.hub_papers_due(now=later, limit=10)] == [
        "2405.00007",
        "2405.00006",
        "2405.00008",
    ]
    same = replace(links, checked_at=later)
    assert (
        store.save_hub_links("2405.00008", same, next_check_at=later + timedelta(days=1)) is False
    )
    assert version(store) == before + 1
    assert store.save_hub_links("gone-paper", links, next_check_at=later) is False
    assert store.count_hub_checked() == 1


def test_pauses(store: Store) -> None:
    assert store.signal_pause("github") is None
    store.set_signal_pause("github", NOW + timedelta(minutes=20), "rate limit exhausted")
    pause = store.signal_pause("github")
    assert pause is not None and pause.resume_at == NOW + timedelta(minutes=20)
    assert pause.reason == "rate limit exhausted"
    store.set_signal_pause("github", None)
    assert store.signal_pause("github") is None


def test_saving_a_repository_no_paper_links_yet(store: Store) -> None:
    repo = Repository(
        full_name="lone/repo", status="ok", stars=3, checked_at=NOW, next_check_at=NOW
    )
    assert store.save_repository(repo, day=TODAY) is True
    saved = store.get_repository("lone/repo")
    assert saved is not None and saved.stars == 3 and saved.newest_day == date.min
