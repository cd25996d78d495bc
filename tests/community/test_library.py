"""The library on both backends: saving with tags and notes, their caps, paging and
tag filters, the exact saves count, BibTeX/JSON export and BibTeX import (matching by
arXiv id, arXiv URL and DOI; the rest listed back), hostile BibTeX, and that one
reader never reaches another's library."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from paperwire.bibtex import parse_bibtex
from paperwire.community import library
from paperwire.errors import InvalidParameter
from paperwire.models import Paper
from paperwire.store import Store
from tests.community.helpers import make_user

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
DOI_PAPER = ("2502.09460", "10.1109/ICST62969.2025.10988919")


def stat_saves(store: Store, paper_id: str) -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT saves FROM paper_stats WHERE paper_id = ?", (paper_id,))
    return int(row["saves"]) if row else 0


def saved_rows(store: Store, paper_id: str) -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT COUNT(*) AS n FROM library_items WHERE paper_id = ?", (paper_id,))
    return int(row["n"]) if row else 0


def community_version(store: Store) -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT version FROM data_versions WHERE name = 'community'")
    assert row is not None
    return int(row["version"])


def paper(store: Store, paper_id: str) -> Paper:
    found = store.get_paper(paper_id)
    assert found is not None
    return found


def test_save_update_unsave_keep_the_count_exact(sample_store: Store) -> None:
    ada, bob = (
        make_user(sample_store, "ada@example.org"),
        make_user(sample_store, "bob@example.org"),
    )
    p = paper(sample_store, "2104.12255")
    before = community_version(sample_store)

    saved, created = library.save_paper(
        sample_store, ada, p, tags=["ML", " ml "], note="read me", now=NOW
    )
    assert created and saved.item.tags == ("ml",) and saved.item.note == "read me"
    assert stat_saves(sample_store, p.id) == 1 and community_version(sample_store) == before + 1

    later = NOW + timedelta(hours=1)
    saved, created = library.save_paper(sample_store, ada, p, tags=["theory"], note="", now=later)
    assert not created and saved.item.tags == ("theory",) and saved.item.note == ""
    assert saved.item.saved_at == NOW and saved.item.updated_at == later
    assert stat_saves(sample_store, p.id) == 1  # an update is not a second save

    library.save_paper(sample_store, bob, p, tags=[], note="", now=NOW)
    assert stat_saves(sample_store, p.id) == 2

    assert library.unsave_paper(sample_store, ada, p.id, now=NOW)
    assert not library.unsave_paper(sample_store, ada, p.id, now=NOW)  # already gone
    assert stat_saves(sample_store, p.id) == 1 == saved_rows(sample_store, p.id)
    assert library.saved_paper(sample_store, ada, p.id) is None
    assert library.saved_paper(sample_store, bob, p.id) is not None


def test_a_save_without_tags_or_note_keeps_them(sample_store: Store) -> None:
    ada = make_user(sample_store, "ada@example.org")
    p = paper(sample_store, "2104.12255")
    saved, created = library.save_paper(sample_store, ada, p, now=NOW)
    assert created and saved.item.tags == () and saved.item.note == ""
    library.save_paper(sample_store, ada, p, tags=["a"], note="n", now=NOW)
    saved, created = library.save_paper(sample_store, ada, p, now=NOW)
    assert not created and saved.item.tags == ("a",) and saved.item.note == "n"
    saved, _ = library.save_paper(sample_store, ada, p, note="m", now=NOW)
    assert saved.item.tags == ("a",) and saved.item.note == "m"


def test_tags_are_normalised_and_capped() -> None:
    assert library.normalise_tags(
        ["  Vision   Transformers ", "vision transformers", "", "ML", "Straße"]
    ) == [
        "vision transformers",
        "ml",
        "strasse",
    ]
    assert (
        len(library.normalise_tags([f"t{i}" for i in range(library.MAX_TAGS)])) == library.MAX_TAGS
    )
    bad: list[object] = [
        [f"t{i}" for i in range(library.MAX_TAGS + 1)],
        ["x" * (library.MAX_TAG_CHARS + 1)],
        ["a\x00b"],
        ["right\u202eleft"],
        ["\ud800"],
        "ml",
        [1],
    ]
    for tags in bad:
        with pytest.raises(InvalidParameter) as caught:
            library.normalise_tags(tags)  # type: ignore[arg-type]
        assert caught.value.parameter == "tags"
    assert library.normalise_tags(["x" * library.MAX_TAG_CHARS]) == ["x" * library.MAX_TAG_CHARS]


def test_notes_are_capped_and_keep_their_lines() -> None:
    assert library.clean_note("  first line\r\nsecond\tline  ") == "first line\nsecond\tline"
    assert len(library.clean_note("n" * library.MAX_NOTE_CHARS)) == library.MAX_NOTE_CHARS
    for note in ["n" * (library.MAX_NOTE_CHARS + 1), "nul\x00", "bell\x07", "\ud800", None, 3]:
        with pytest.raises(InvalidParameter) as caught:
            library.clean_note(note)
        assert caught.value.parameter == "note"


def test_pages_by_cursor_and_filters_by_tag(sample_store: Store) -> None:
    ada = make_user(sample_store, "ada@example.org")
    ids = [p.id for p in sample_store.latest_papers(limit=5)]
    for n, paper_id in enumerate(ids):
        tags = ["even"] if n % 2 == 0 else ["Odd"]
        library.save_paper(
            sample_store,
            ada,
            paper(sample_store, paper_id),
            tags=tags,
            note="",
            now=NOW + timedelta(minutes=n),
        )
    first = library.library_page(sample_store, ada, limit=2)
    assert [s.paper.id for s in first.papers] == ids[::-1][:2]  # last saved first
    assert first.total == 5 and first.tags == {"even": 3, "odd": 2}
    seen = [s.paper.id for s in first.papers]
    cursor = first.next_cursor
    while cursor:
        page = library.library_page(sample_store, ada, limit=2, cursor=cursor)
        seen += [s.paper.id for s in page.papers]
        cursor = page.next_cursor
    assert seen == ids[::-1]
    odd = library.library_page(sample_store, ada, tag=" ODD ")
    assert [s.paper.id for s in odd.papers] == [ids[3], ids[1]]
    assert library.library_page(sample_store, ada, tag="none").papers == []
    for bad in [{"cursor": "AAAA"}, {"limit": 0}, {"limit": 201}, {"tag": " "}]:
        with pytest.raises(InvalidParameter):
            library.library_page(sample_store, ada, **bad)  # type: ignore[arg-type]


def test_one_reader_never_reaches_another_library(sample_store: Store) -> None:
    ada, eve = (
        make_user(sample_store, "ada@example.org"),
        make_user(sample_store, "eve@example.org"),
    )
    p = paper(sample_store, "2104.12255")
    library.save_paper(sample_store, ada, p, tags=["secret"], note="private thoughts", now=NOW)
    assert library.library_page(sample_store, eve).papers == []
    assert library.library_page(sample_store, eve).tags == {}
    assert library.saved_paper(sample_store, eve, p.id) is None
    assert not library.unsave_paper(sample_store, eve, p.id, now=NOW)
    assert "private thoughts" not in str(library.export_json(sample_store, eve))
    assert library.export_bibtex(sample_store, eve) == ""
    # eve saving the same paper makes her own row; ada's note and tags are untouched
    library.save_paper(sample_store, eve, p, tags=["mine"], note="eve's", now=NOW)
    mine = library.saved_paper(sample_store, ada, p.id)
    assert (
        mine is not None and mine.item.note == "private thoughts" and mine.item.tags == ("secret",)
    )


def test_a_full_library_refuses_more(sample_store: Store) -> None:
    ada = make_user(sample_store, "ada@example.org")
    ids = [p.id for p in sample_store.latest_papers(limit=4)]
    for paper_id in ids[:2]:
        assert (
            sample_store.save_library_item(ada.id, paper_id, tags=[], note="", now=NOW, max_items=2)
            == "created"
        )
    assert (
        sample_store.save_library_item(ada.id, ids[2], tags=[], note="", now=NOW, max_items=2)
        == "full"
    )
    # an update of a saved paper still fits
    assert (
        sample_store.save_library_item(ada.id, ids[0], tags=["ok"], note="", now=NOW, max_items=2)
        == "updated"
    )
    assert sample_store.add_library_items(ada.id, ids[1:], now=NOW, max_items=3) == [ids[2]]
    assert stat_saves(sample_store, ids[3]) == 0 and saved_rows(sample_store, ids[3]) == 0
    assert library.library_page(sample_store, ada).total == 3


def test_exports_parse_back_through_the_importer(sample_store: Store) -> None:
    ada, bob = (
        make_user(sample_store, "ada@example.org"),
        make_user(sample_store, "bob@example.org"),
    )
    ids = ["2104.12255", "hep-ph/0301050", DOI_PAPER[0]]
    for n, paper_id in enumerate(ids):
        at = NOW + timedelta(minutes=n)
        library.save_paper(
            sample_store, ada, paper(sample_store, paper_id), tags=["t"], note="n", now=at
        )
    text = library.export_bibtex(sample_store, ada)
    parsed = parse_bibtex(text, max_entries=10)
    assert parsed.problems == [] and len(parsed.entries) == 3
    assert "n" not in {e.fields.get("note") for e in parsed.entries}  # notes stay private
    result = library.import_bibtex(sample_store, bob, text, now=NOW)
    assert sorted(m.paper_id for m in result.matched) == sorted(ids) and result.unmatched == []
    assert all(m.by == "arxiv" and m.added for m in result.matched)
    data = library.export_json(sample_store, ada)
    assert [p["paper_id"] for p in data["papers"]] == ids[::-1]
    assert data["papers"][0]["tags"] == ["t"] and data["papers"][0]["note"] == "n"
    assert data["papers"][0]["doi"] == DOI_PAPER[1]


IMPORT = r"""
This preamble text is ignored, as is mail@example.org.
@string{ap = "arXiv"}
@article{byEprint, title = {One}, eprint = {2104.12255v1}, archivePrefix = ap}
@misc{byUrl, title = "Two", url = {https://arxiv.org/pdf/hep-ph/0301050v2.pdf}}
@misc{byNote, note = {Preprint at https://arxiv.org/abs/2604.03438}}
@misc{byHowpublished, howpublished = {\url{http://arxiv.org/abs/2602.19294}}}
@article{byJournal, journal = {arXiv preprint arXiv:2602.15552}, year = 2026}
@inproceedings{byDoi, doi = {10.1109/icst62969.2025.10988919}}
@misc{byDoiUrl, url = {https://doi.org/10.1145/3679006.3685071}}
@misc{unknownArxiv, eprint = {2101.99999}, archivePrefix = {arXiv}}
@misc{unknownDoi, doi = {10.9999/nothing.here}}
@book{noIds, title = {A Book}, author = {Someone}}
@misc{broken, title = {never closed,
@misc{again, eprint = {2104.12255}}
"""


def test_import_matches_ids_urls_and_dois_and_lists_the_rest(sample_store: Store) -> None:
    ada = make_user(sample_store, "ada@example.org")
    before = stat_saves(sample_store, "2104.12255")
    result = library.import_bibtex(sample_store, ada, IMPORT, now=NOW)
    matched = {m.key: (m.paper_id, m.by, m.added) for m in result.matched}
    assert matched == {
        "byEprint": ("2104.12255", "arxiv", True),
        "byUrl": ("hep-ph/0301050", "arxiv", True),
        "byNote": ("2604.03438", "arxiv", True),
        "byHowpublished": ("2602.19294", "arxiv", True),
        "byJournal": ("2602.15552", "arxiv", True),
        "byDoi": (DOI_PAPER[0], "doi", True),
        "byDoiUrl": ("2407.18756", "doi", True),
        "again": ("2104.12255", "arxiv", False),  # the same paper again: saved once
    }
    unmatched = {m.key: m.reason for m in result.unmatched}
    assert set(unmatched) == {"unknownArxiv", "unknownDoi", "noIds", "broken"}
    assert "arXiv 2101.99999" in unmatched["unknownArxiv"]
    assert "DOI 10.9999/nothing.here" in unmatched["unknownDoi"]
    assert unmatched["noIds"] == "no arXiv id, arXiv URL or DOI"
    assert unmatched["broken"].startswith("could not be read")
    assert [m.line for m in result.unmatched] == sorted(m.line for m in result.unmatched)
    assert stat_saves(sample_store, "2104.12255") == before + 1
    assert library.library_page(sample_store, ada).total == 7


def test_import_keeps_tags_and_notes_of_papers_already_saved(sample_store: Store) -> None:
    ada = make_user(sample_store, "ada@example.org")
    library.save_paper(
        sample_store, ada, paper(sample_store, "2104.12255"), tags=["keep"], note="mine", now=NOW
    )
    result = library.import_bibtex(sample_store, ada, "@misc{k, eprint = {2104.12255}}", now=NOW)
    assert [(m.paper_id, m.added) for m in result.matched] == [("2104.12255", False)]
    kept = library.saved_paper(sample_store, ada, "2104.12255")
    assert kept is not None and kept.item.tags == ("keep",) and kept.item.note == "mine"
    assert stat_saves(sample_store, "2104.12255") == 1


@pytest.mark.parametrize(
    "text",
    [
        "{" * 100_000,
        "@misc{k, title = " + "{" * 100_000,
        "@misc{k, title = {" + "}" * 1000 + "}",
        "@" * 50_000,
        "@misc{" * 20_000,
        '@misc{k, title = "unclosed',
        "@misc(k, title = {x}",
        "\x00\x01\x02@misc{\x00, eprint = {2104.12255}}",
        "@misc{k, doi = {10.1000/a\x00b}}",
        "".join(chr(c) for c in range(1, 0x3000, 7)) * 3,
    ],
    ids=[
        "braces",
        "deep-value",
        "closers",
        "ats",
        "openers",
        "quote",
        "paren",
        "nul",
        "nul-doi",
        "binary-ish",
    ],
)
def test_hostile_bibtex_is_answered_never_raised(sample_store: Store, text: str) -> None:
    ada = make_user(sample_store, "ada@example.org")
    try:
        result = library.import_bibtex(sample_store, ada, text, now=NOW)
    except InvalidParameter as exc:
        assert exc.parameter == "body"
        return
    assert all(m.paper_id == "2104.12255" for m in result.matched)


def test_an_import_of_too_many_entries_is_refused(sample_store: Store) -> None:
    ada = make_user(sample_store, "ada@example.org")
    text = "\n".join(f"@misc{{k{i}, title = {{x}}}}" for i in range(library.MAX_IMPORT_ENTRIES + 1))
    with pytest.raises(InvalidParameter, match="more than 5,000 entries"):
        library.import_bibtex(sample_store, ada, text, now=NOW)
    for empty in ["", "just some words", "% a comment"]:
        with pytest.raises(InvalidParameter, match="no BibTeX entries"):
            library.import_bibtex(sample_store, ada, empty, now=NOW)


def test_saves_stay_exact_under_concurrent_writers(sample_store: Store) -> None:
    users = [make_user(sample_store, f"u{i}@example.org") for i in range(8)]
    targets = [paper(sample_store, i) for i in ("2104.12255", "hep-ph/0301050")]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            user = users[n]
            for round_ in range(6):
                for p in targets:
                    library.save_paper(sample_store, user, p, tags=[f"r{round_}"], note="", now=NOW)
                    if (n + round_) % 3 == 0:
                        library.unsave_paper(sample_store, user, p.id, now=NOW)
                library.import_bibtex(
                    sample_store, user, "@misc{k, eprint = {2104.12255}}", now=NOW
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for p in targets:
        assert stat_saves(sample_store, p.id) == saved_rows(sample_store, p.id)
    assert saved_rows(sample_store, "2104.12255") == len(users)  # each import saved it again
