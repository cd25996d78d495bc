"""The Store contract: the same tests on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest

from paperwire.models import Author, Link, Paper, UpsertCounts
from paperwire.store import Store


def make_paper(pid: str = "2101.00001", version: int = 1, **kw: object) -> Paper:
    base = dict(
        id=pid,
        version=version,
        title=f"A study of things v{version}",
        abstract="We study things.",
        authors=[Author("Ada Lovelace", family="Lovelace", given="Ada"), Author("Alan Turing")],
        categories=["cs.LG", "stat.ML"],
        submitted=datetime(2021, 1, 1, 12, 0, tzinfo=UTC),
        updated=datetime(2021, 1, version or 1, 12, 0, tzinfo=UTC),
        links=[Link("abs", f"https://arxiv.org/abs/{pid}v{version}")],
    )
    base.update(kw)
    return Paper(**base)  # type: ignore[arg-type]


def test_empty_store(store: Store) -> None:
    assert store.count_papers() == 0
    assert store.get_paper("2101.00001") is None
    assert store.latest_papers() == []


def test_round_trip_keeps_every_field(store: Store) -> None:
    paper = make_paper(
        doi="10.1000/xyz",
        journal_ref="J. Things 1 (2021)",
        comments="12 pages; code at https://github.com/a/b",
        license="http://creativecommons.org/licenses/by/4.0/",
        announced=date(2021, 1, 4),
        announce_type="new",
        links=[Link("abs", "https://arxiv.org/abs/2101.00001v1"), Link("code", "https://github.com/a/b")],
    )
    assert store.upsert_papers([paper]) == UpsertCounts(added=1)
    got = store.get_paper("2101.00001")
    assert got is not None
    assert got.title == paper.title
    assert got.authors[0] == Author("Ada Lovelace", family="Lovelace", given="Ada")
    assert [a.name for a in got.authors] == ["Ada Lovelace", "Alan Turing"]
    assert got.categories == ["cs.LG", "stat.ML"] and got.primary_category == "cs.LG"
    assert got.submitted == paper.submitted and got.updated == paper.updated
    assert got.announced == date(2021, 1, 4) and got.announce_type == "new"
    assert got.doi == "10.1000/xyz" and got.journal_ref == paper.journal_ref
    assert got.comments == paper.comments and got.license == paper.license
    assert got.has_code and got.links == paper.links


def test_upsert_is_idempotent(store: Store) -> None:
    papers = [make_paper(f"2101.0000{i}") for i in range(1, 6)]
    assert store.upsert_papers(papers) == UpsertCounts(added=5)
    assert store.upsert_papers(papers) == UpsertCounts(unchanged=5)
    assert store.count_papers() == 5


def test_newer_version_replaces_older(store: Store) -> None:
    store.upsert_papers([make_paper(version=1)])
    assert store.upsert_papers([make_paper(version=2)]) == UpsertCounts(updated=1)
    got = store.get_paper("2101.00001")
    assert got is not None and got.version == 2 and got.title.endswith("v2")


def test_older_version_never_overwrites_newer(store: Store) -> None:
    store.upsert_papers([make_paper(version=3)])
    assert store.upsert_papers([make_paper(version=1)]) == UpsertCounts(unchanged=1)
    got = store.get_paper("2101.00001")
    assert got is not None and got.version == 3 and got.title.endswith("v3")


def test_last_record_in_a_batch_wins(store: Store) -> None:
    counts = store.upsert_papers([make_paper(version=1), make_paper(version=2)])
    assert counts == UpsertCounts(added=1)
    got = store.get_paper("2101.00001")
    assert got is not None and got.version == 2


def test_announcement_day_survives_a_record_without_one(store: Store) -> None:
    store.upsert_papers([make_paper(announced=date(2021, 1, 4), announce_type="new")])
    store.upsert_papers([make_paper(version=2)])  # e.g. from the API: no announcement
    got = store.get_paper("2101.00001")
    assert got is not None and got.version == 2 and got.announced == date(2021, 1, 4)


def test_get_papers_keeps_order_and_skips_unknown(store: Store) -> None:
    store.upsert_papers([make_paper("2101.00001"), make_paper("2101.00002"), make_paper("hep-th/9901001")])
    got = store.get_papers(["hep-th/9901001", "2101.99999", "2101.00001"])
    assert [p.id for p in got] == ["hep-th/9901001", "2101.00001"]


def test_latest_papers_newest_first_and_paged(store: Store) -> None:
    store.upsert_papers(
        [make_paper(f"2101.0000{i}", submitted=datetime(2021, 1, i, tzinfo=UTC)) for i in range(1, 8)]
    )
    first = store.latest_papers(limit=3)
    assert [p.id for p in first] == ["2101.00007", "2101.00006", "2101.00005"]
    second = store.latest_papers(limit=3, offset=3)
    assert [p.id for p in second] == ["2101.00004", "2101.00003", "2101.00002"]


def test_count_by_source(store: Store) -> None:
    store.upsert_papers([make_paper(), make_paper("pmid:123", source="medline", version=None)])
    assert store.count_papers() == 2
    assert store.count_papers(source="medline") == 1


def test_a_failing_batch_writes_nothing(store: Store) -> None:
    bad = make_paper("2101.00002")
    bad.title = None  # type: ignore[assignment]  # violates NOT NULL in the database
    with pytest.raises(Exception):  # noqa: B017 - driver-specific IntegrityError
        store.upsert_papers([make_paper("2101.00001"), bad])
    assert store.count_papers() == 0


def test_hostile_text_is_stored_verbatim(store: Store) -> None:
    title = "<script>alert(1)</script> ' OR 1=1; -- \u00e9\u4e2d $x^2$ %s ?"
    store.upsert_papers([make_paper(title=title)])
    got = store.get_paper("2101.00001")
    assert got is not None and got.title == title


def test_concurrent_readers_and_a_writer(store: Store) -> None:
    store.upsert_papers([make_paper("2101.00001")])
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(50):
                assert store.get_paper("2101.00001") is not None
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def write() -> None:
        try:
            for i in range(2, 30):
                store.upsert_papers([make_paper(f"2101.{i:05d}")])
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)] + [threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count_papers() == 29


def test_delete_papers_removes_them_and_what_hangs_off_them(store: Store) -> None:
    import numpy as np

    from paperwire.models import SearchFilters
    from paperwire.store.codec import fingerprint

    store.upsert_papers([make_paper("2101.00001"), make_paper("2101.00002", title="Wombats")])
    stored = store.get_paper("2101.00001")
    assert stored is not None
    vector = np.ones(4, dtype=np.float32) / 2
    assert store.save_embeddings("m", [("2101.00001", fingerprint(stored), vector)]) == 1
    version = store.data_version().version

    assert store.delete_papers(["2101.00001", "2101.00001", "9999.99999"]) == 1
    assert store.get_paper("2101.00001") is None and store.count_papers() == 1
    assert store.get_embedding("m", "2101.00001") is None
    assert store.count_listed(filters=SearchFilters(author="ada lovelace")) == 1  # the other paper
    assert store.count_listed(filters=SearchFilters(categories=("cs.LG",))) == 1
    assert store.data_version().version > version
    assert store.delete_papers(["2101.00001"]) == 0  # idempotent
