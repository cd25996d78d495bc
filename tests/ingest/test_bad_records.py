"""One bad record never costs the good ones, for every importer: a file or response
with good records around bad ones (a 31-digit version, an id in other scripts' digits,
numbers in ``authors_parsed``, a 10 MB abstract, a hostile DOI, a category that is
none) stores the good ones, reports each bad one with where it is, exits 1, and a rerun
stores nothing twice. On both backends, through the real CLI."""

from __future__ import annotations

import json
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

import pytest

from paperwire.ingest.snapshot import import_snapshot
from paperwire.models import UpsertCounts
from paperwire.store import Store, open_store
from tests.ingest.test_cli_net import run_cli
from tests.ingest.test_snapshot import record, write_lines
from tests.replay import ReplayServer, Reply

HUGE_VERSION = "9" * 31
HOSTILE_DOI = "10.1/x` <img src=x onerror=alert(1)> `"
WIDE_ID = "２１０１.００００１"  # fullwidth digits: the same paper as 2101.00001 to the eye
TEN_MB = "word " * 1_999_999 + "words"  # 10,000,000 characters
JUST_TOO_LONG = "a" * 100_001


def summary(out: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    # every importer's --json summary has the same common keys (ingest/report.py)
    assert {"added", "updated", "unchanged", "failed", "error_count", "errors", "notes"} <= set(found)
    return found


# --- the arXiv metadata snapshot ---------------------------------------------------


def snapshot_lines() -> tuple[list[str], dict[int, str], set[str]]:
    """(lines, {line number: expected problem}, ids of the good records)."""
    bad = [
        (record(90, versions=[{"version": "v" + HUGE_VERSION, "created": "Fri, 1 Jan 2021 10:00:00 GMT"}]),
         f"version '{HUGE_VERSION}' is not a number from 1 to 999,999"),
        (record(91, id=WIDE_ID), "not an arXiv id"),
        (record(92, authors_parsed=[[1, 2, 3]]), "authors_parsed entry 1 is not a list of names"),
        (record(93, abstract=TEN_MB), "abstract has 10,000,000 characters (at most 100,000)"),
        (record(94, doi=HOSTILE_DOI), "is not a DOI"),
        (record(95, categories="cs.LG <b>x</b>"), "category '<b>x</b>' is not an arXiv category"),
        (record(96, title="Nul\u0000title"), "title contains a NUL character"),
        (record(97, versions=[{"version": "v1", "created": "Fri, 1 Jan 99999999999999999999 10:00:00 GMT"}]),
         "unreadable date"),
    ]
    lines: list[str] = []
    problems: dict[int, str] = {}
    good: set[str] = set()
    for i, (rec, problem) in enumerate(bad, start=1):
        lines.append(json.dumps(record(i)))
        good.add(f"2101.{i:05d}")
        lines.append(json.dumps(rec))
        problems[len(lines)] = problem
    lines.append(json.dumps(record(50)))
    good.add("2101.00050")
    return lines, problems, good


def _stored(url: str, ids: set[str]) -> set[str]:
    """Which of ``ids`` the database at ``url`` holds."""
    store = open_store(url)
    try:
        return {p.id for p in store.get_papers(sorted(ids))}
    finally:
        store.close()


def assert_reported(errors: list[str], path: Path, problems: dict[int, str]) -> None:
    assert len(errors) == len(problems), errors
    for (line, problem), error in zip(sorted(problems.items()), errors, strict=True):
        assert error.startswith(f"{path}:{line}: "), error
        assert problem in error, error


@pytest.mark.parametrize("workers", [0, 1])
def test_snapshot_bulk_load_keeps_every_good_line(store: Store, tmp_path: Path, workers: int) -> None:
    lines, problems, good = snapshot_lines()
    path = write_lines(tmp_path / "snap.jsonl", lines)
    report = import_snapshot(store, path, batch_size=3, workers=workers, chunk_bytes=4096)
    assert report.counts == UpsertCounts(added=len(good), failed=len(problems))
    assert_reported(report.errors, path, problems)
    assert {p.id for p in store.get_papers(sorted(good) + [WIDE_ID, "2101.00091"])} == good
    again = import_snapshot(store, path, batch_size=3)
    assert again.counts == UpsertCounts(unchanged=len(good), failed=len(problems))
    assert store.count_papers() == len(good)


def test_snapshot_update_keeps_the_batches_after_a_bad_line(store: Store, tmp_path: Path) -> None:
    first = write_lines(tmp_path / "first.jsonl", [json.dumps(record(59))])
    assert import_snapshot(store, first).counts.added == 1
    lines, problems, good = snapshot_lines()
    path = write_lines(tmp_path / "snap.jsonl", lines)
    report = import_snapshot(store, path, batch_size=2)
    assert report.counts == UpsertCounts(added=len(good), failed=len(problems))
    assert_reported(report.errors, path, problems)
    assert store.count_papers() == len(good) + 1


def test_snapshot_cli(database_url: str, tmp_path: Path) -> None:
    lines, problems, good = snapshot_lines()
    path = write_lines(tmp_path / "snap.jsonl", lines)
    first = run_cli(["ingest", "snapshot", str(path), "--batch-size", "2", "--json"], database_url)
    assert first.returncode == 1 and "Traceback" not in first.stderr
    for line, problem in problems.items():
        assert f"{path}:{line}: " in first.stderr and problem in first.stderr
    assert (summary(first.stdout)["added"], summary(first.stdout)["failed"]) == (len(good), len(problems))
    again = run_cli(["ingest", "snapshot", str(path), "--json"], database_url)
    assert again.returncode == 1
    assert (summary(again.stdout)["added"], summary(again.stdout)["unchanged"]) == (0, len(good))
    assert _stored(database_url, good | {WIDE_ID}) == good


# --- MEDLINE -------------------------------------------------------------------------


def article(pmid: str, *, version: str = "1", abstract: str = "An abstract.", doi: str = "10.1000/ok") -> str:
    return f"""<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="{version}">{pmid}</PMID><Article><Journal><JournalIssue><PubDate><Year>2020</Year></PubDate>
</JournalIssue><Title>A Journal</Title></Journal><ArticleTitle>Article {escape(pmid)}</ArticleTitle>
<Abstract><AbstractText>{escape(abstract)}</AbstractText></Abstract>
<AuthorList><Author><LastName>Curie</LastName><ForeName>Marie</ForeName></Author></AuthorList>
<ELocationID EIdType="doi" ValidYN="Y">{escape(doi)}</ELocationID></Article></MedlineCitation></PubmedArticle>
"""


def medline_file(path: Path, articles: list[str]) -> Path:
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n' + "".join(articles) + "</PubmedArticleSet>\n")
    return path


def test_medline_cli_goes_on_after_bad_records(database_url: str, tmp_path: Path) -> None:
    bad = {
        "2": article("2", version=HUGE_VERSION),
        "１２３": article("１２３"),
        "4": article("4", abstract=TEN_MB),
        "5": article("5", doi=HOSTILE_DOI),
    }
    first_file = medline_file(tmp_path / "a.xml", [article("1"), *bad.values(), article("6")])
    second_file = medline_file(tmp_path / "b.xml", [article("7"), article("8")])
    good = {"pmid:1", "pmid:6", "pmid:7", "pmid:8"}
    first = run_cli(["ingest", "medline", str(first_file), str(second_file), "--json"], database_url)
    assert first.returncode == 1 and "Traceback" not in first.stderr
    errors = summary(first.stdout)["errors"]
    assert len(errors) == 4
    assert all(e.startswith(f"{first_file}:") for e in errors)
    assert "(PMID 2): version '9999999999999999999999999999999' is not a number" in errors[0]
    assert "without a usable PMID ('１２３')" in errors[1]
    assert "(PMID 4): abstract has 10,000,000 characters (at most 100,000)" in errors[2]
    assert "(PMID 5): DOI '10.1/x` <img" in errors[3] and "is not a DOI" in errors[3]
    assert (summary(first.stdout)["added"], summary(first.stdout)["failed"]) == (4, 4)
    again = run_cli(["ingest", "medline", str(first_file), str(second_file), "--json"], database_url)
    assert again.returncode == 1
    assert (summary(again.stdout)["added"], summary(again.stdout)["unchanged"]) == (0, 4)
    assert _stored(database_url, good | {"pmid:2", "pmid:4", "pmid:5"}) == good


# --- saved arXiv API responses (Atom) ----------------------------------------------


def entry(ident: str, *, title: str = "A title", abstract: str = "An abstract.", doi: str = "",
          categories: tuple[str, ...] = ("cs.LG",), published: str = "2021-01-01T00:00:00Z") -> str:
    cats = "".join(f'<category term="{escape(c)}"/>' for c in categories)
    return f"""<entry><id>http://arxiv.org/abs/{ident}</id><updated>{published}</updated>
<published>{published}</published><title>{escape(title)}</title><summary>{escape(abstract)}</summary>
<author><name>Ada Lovelace</name></author>{f"<arxiv:doi>{escape(doi)}</arxiv:doi>" if doi else ""}
<arxiv:primary_category term="{escape(categories[0])}"/>{cats}</entry>
"""


def atom_feed(entries: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>"
        "<opensearch:startIndex>0</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>"
        + "".join(entries) + "</feed>"
    )


ATOM_BAD = [
    (entry(f"2101.00011v{HUGE_VERSION}"), "version number too large"),
    (entry("２１０１.０００１２v1"), "not an arXiv id"),
    (entry("2101.00013v1", abstract=JUST_TOO_LONG), "entry 2101.00013v1: abstract has 100,001 characters"),
    (entry("2101.00014v1", doi=HOSTILE_DOI), "entry 2101.00014v1: DOI '10.1/x`'"),
    (entry("2101.00015v1", categories=("cs LG",)), "entry 2101.00015v1: category 'cs LG' is not an arXiv category"),
    (entry("2101.00016v1", published="2021-13-45T00:00:00Z"), "entry 2101.00016v1: published '2021-13-45T00:00:00Z'"),
]
ATOM_GOOD = [entry("2101.00001v1"), entry("2101.00002v2", doi="10.1103/PhysRevD.76.013009 10.1000/second")]


def test_atom_files_cli(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "page.xml"
    path.write_text(atom_feed([ATOM_GOOD[0], *(e for e, _ in ATOM_BAD), ATOM_GOOD[1]]))
    first = run_cli(["ingest", "atom", str(path), "--json"], database_url)
    assert first.returncode == 1 and "Traceback" not in first.stderr
    errors = summary(first.stdout)["errors"]
    assert len(errors) == len(ATOM_BAD)
    for error, (_, problem) in zip(errors, ATOM_BAD, strict=True):
        assert error.startswith(f"{path}: entry") and problem in error, error
    assert (summary(first.stdout)["added"], summary(first.stdout)["failed"]) == (2, len(ATOM_BAD))
    again = run_cli(["ingest", "atom", str(path), "--json"], database_url)
    assert again.returncode == 1
    assert (summary(again.stdout)["added"], summary(again.stdout)["unchanged"]) == (0, 2)
    assert _stored(database_url, {"2101.00001", "2101.00002", "2101.00011", "2101.00014"}) == {"2101.00001", "2101.00002"}
    store = open_store(database_url)
    try:
        second = store.get_paper("2101.00002")
        assert second is not None and second.doi == "10.1103/PhysRevD.76.013009"  # the first of two
    finally:
        store.close()


def test_arxiv_api_cli_keeps_a_page_with_a_bad_entry(replay: ReplayServer, database_url: str) -> None:
    query = "search_query=bad&id_list=&sortBy=relevance&sortOrder=descending&start=0&max_results=10"
    replay.add(f"/api/query?{query}", Reply(200, atom_feed([ATOM_GOOD[0], ATOM_BAD[3][0], ATOM_GOOD[1]])))
    api = {"PAPERWIRE_ARXIV_API_URL": replay.base_url + "/api/query"}
    args = ["ingest", "arxiv", "--query", "bad", "--max", "10", "--page-size", "10", "--json"]
    first = run_cli(args, database_url, **api)
    assert first.returncode == 1 and "Traceback" not in first.stderr
    [error] = summary(first.stdout)["errors"]
    assert "/api/query?search_query=bad" in error and "entry 2101.00014v1: DOI" in error
    assert (summary(first.stdout)["added"], summary(first.stdout)["failed"]) == (2, 1)
    again = run_cli(args, database_url, **api)
    assert again.returncode == 1 and summary(again.stdout)["unchanged"] == 2


def test_arxiv_id_lookup_names_the_id_whose_entry_was_refused(replay: ReplayServer, sqlite_url: str) -> None:
    query = "search_query=&id_list=2101.00014&sortBy=relevance&sortOrder=descending&start=0&max_results=100"
    replay.add(f"/api/query?{query}", Reply(200, atom_feed([ATOM_BAD[3][0]])))
    api = {"PAPERWIRE_ARXIV_API_URL": replay.base_url + "/api/query"}
    result = run_cli(["ingest", "arxiv", "--ids", "2101.00014", "--json"], sqlite_url, **api)
    assert result.returncode == 1
    [error] = summary(result.stdout)["errors"]
    assert "entry 2101.00014v1: DOI" in error and "not found" not in error


# --- OAI-PMH -------------------------------------------------------------------------


def oai_record(ident: str, *, doi: str = "", categories: str = "cs.LG", abstract: str = "An abstract.") -> str:
    return f"""<record><header><identifier>oai:arXiv.org:{ident}</identifier><datestamp>2026-11-01</datestamp>
<setSpec>cs</setSpec></header><metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>{ident}</id>
<created>2021-01-01</created><authors><author><keyname>Lovelace</keyname><forenames>Ada</forenames></author></authors>
<title>Paper {ident}</title><categories>{escape(categories)}</categories>{f"<doi>{escape(doi)}</doi>" if doi else ""}
<abstract>{escape(abstract)}</abstract></arXiv></metadata></record>
"""


def test_oai_cli_stores_the_good_records_of_a_page(replay: ReplayServer, database_url: str) -> None:
    from tests.ingest.test_arxiv_oai import FIRST, route

    records = [
        oai_record("2101.00001"),
        oai_record(WIDE_ID),
        oai_record("2101.00003", doi=HOSTILE_DOI),
        oai_record("2101.00004", categories="cs.CL cs$LG"),
        oai_record("2101.00005", abstract=JUST_TOO_LONG),
        oai_record("2101.00006"),
    ]
    page = (
        '<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2026-11-03T09:12:44Z</responseDate><request>x</request><ListRecords>"
        + "".join(records)
        # the list is complete (no token); a count no database integer holds is unknown
        + f'<resumptionToken cursor="٠" completeListSize="{HUGE_VERSION}"/>'
        + "</ListRecords></OAI-PMH>"
    )
    route(replay, FIRST, Reply(200, page, content_type="text/xml"), Reply(200, page, content_type="text/xml"))
    oai = {"PAPERWIRE_OAI_URL": replay.base_url + "/oai"}
    args = ["ingest", "oai", "--set", "cs", "--from", "2026-11-01", "--json"]
    first = run_cli(args, database_url, **oai)
    assert first.returncode == 1 and "Traceback" not in first.stderr
    out = json.loads(first.stdout)
    assert (out["added"], out["failed"], out["completed"]) == (2, 4, True)
    expected = [
        f"record oai:arXiv.org:{WIDE_ID}: unusable id",
        "record oai:arXiv.org:2101.00003: DOI '10.1/x`",
        "record oai:arXiv.org:2101.00004: category 'cs$LG' is not an arXiv category",
        "record oai:arXiv.org:2101.00005: abstract has 100,001 characters",
    ]
    for error, problem in zip(out["errors"], expected, strict=True):
        assert "/oai?verb=ListRecords" in error and problem in error, error
    again = run_cli(args, database_url, **oai)
    assert again.returncode == 1
    assert (json.loads(again.stdout)["added"], json.loads(again.stdout)["unchanged"]) == (0, 2)
    assert _stored(database_url, {"2101.00001", "2101.00003", "2101.00006", WIDE_ID}) == {"2101.00001", "2101.00006"}


# --- announcements -------------------------------------------------------------------


def test_announcements_cli_keeps_the_days_good_items(replay: ReplayServer, database_url: str) -> None:
    feed = (Path(__file__).resolve().parent.parent / "data" / "rss" / "cs.CV-2025-11-03-new.rss.xml").read_bytes()
    bad = (
        feed.replace(b"oai:arXiv.org:2511.00123v1", f"oai:arXiv.org:2511.00123v{HUGE_VERSION}".encode(), 1)
        .replace(b"<category>cs.RO</category>", b"<category>cs RO</category>", 1)
    )
    replay.add("/rss/cs.CV", Reply(body=bad, content_type="application/rss+xml"), Reply(body=bad, content_type="application/rss+xml"))
    env = {"PAPERWIRE_ANNOUNCEMENTS_URL": replay.base_url + "/rss", "PAPERWIRE_ANNOUNCEMENTS_DELAY": "0"}
    first = run_cli(["ingest", "announcements", "cs.CV", "--json"], database_url, **env)
    assert first.returncode == 1 and "Traceback" not in first.stderr
    out = summary(first.stdout)
    assert (out["added"], out["failed"]) == (1, 2)
    assert out["days"] == [{"category": "cs.CV", "day": "2025-11-03", "status": "announced", "papers": 1}]
    url = replay.base_url + "/rss/cs.CV"
    assert out["errors"][0].startswith(f"{url}: item with unusable id") and "version number too large" in out["errors"][0]
    assert out["errors"][1].startswith(f"{url}: item 2511.00187v1: category 'cs RO' is not an arXiv category")
    again = run_cli(["ingest", "announcements", "cs.CV", "--json"], database_url, **env)
    assert again.returncode == 1
    assert (summary(again.stdout)["added"], summary(again.stdout)["unchanged"]) == (0, 1)
    assert _stored(database_url, {"2511.00123", "2511.00187", "2511.00342"}) == {"2511.00342"}
    store = open_store(database_url)
    try:
        assert store.announcement_status(date(2025, 11, 3), ["cs.CV"]) == "announced"
    finally:
        store.close()


# --- what is accepted renders --------------------------------------------------------


ODD_AUTHORS = [
    ["", "", "Jr."],  # a suffix alone
    ["Solo"],  # a family name alone
    ["", "Given", ""],  # a given name alone
    [" ", "Ada", ""],  # a blank family name
    [],  # nothing: skipped
    ["O'Brien {\\", "and %", "", "Affiliation <b>"],  # TeX-breaking text, a fourth element
    ["ΐ" * 5, "", "", "x", "y"],  # five elements
    ["Smith", "John and Jane", "III"],
]


def test_a_paper_with_odd_but_accepted_authors_renders_everywhere(settings: Any, store: Store, tmp_path: Path) -> None:
    from urllib.parse import quote

    from fastapi.testclient import TestClient

    from paperwire.app import create_app

    path = write_lines(tmp_path / "odd.jsonl", [
        json.dumps(record(1, authors_parsed=ODD_AUTHORS, doi="10.1002/(SICI)1097-4636(199812)43:4<382::AID-JBM5>3.0.CO;2-I")),
        json.dumps(record(2, authors_parsed=None, authors=" and , Ada Lovelace,, and Alan Turing and ")),
    ])
    report = import_snapshot(store, path)
    assert report.ok, report.errors
    odd = store.get_paper("2101.00001")
    assert odd is not None and len(odd.authors) == 7
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
        for ident in ("2101.00001", "2101.00002"):
            paper = store.get_paper(ident)
            assert paper is not None
            urls = [f"/papers/{ident}", f"/papers/{ident}.md", f"/api/papers/{ident}",
                    f"/hf/api/papers/{ident}", f"/hf/papers/{ident}.md"]
            urls += [f"/authors/{quote(a.name, safe='')}" for a in paper.authors]
            urls += [f"/api/authors/{quote(a.name, safe='')}" for a in paper.authors]
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code, response.text[:300])
