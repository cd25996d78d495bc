"""MEDLINE/PubMed import on real excerpts of two baseline files (tests/data/medline)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperwire.ingest.medline import import_medline
from paperwire.models import UpsertCounts
from paperwire.search.keyword import keyword_search
from paperwire.search.query import parse_query
from paperwire.store import Store
from tests.conftest import DATA

EXCERPT = DATA / "medline" / "pubmed21n1298-excerpt.xml"  # 47 records, one without a title
EXCERPT_GZ = DATA / "medline" / "pubmed20n0014-excerpt.xml.gz"  # 60 records


def test_imports_real_records_and_reports_the_bad_one(store: Store) -> None:
    report = import_medline(store, [EXCERPT])
    assert report.articles == 47
    assert report.counts == UpsertCounts(added=46, failed=1)
    [error] = report.errors
    # The real record 33977567 has an empty <ArticleTitle/>; it is named with file and line.
    assert error.startswith(f"{EXCERPT}:") and "(PMID 33977567): no title" in error
    line = int(error.split(":")[1].split()[0])
    assert "<PubmedArticle>" in EXCERPT.read_text().splitlines()[line - 1]
    assert store.get_paper("pmid:33977567") is None
    assert store.count_papers(source="medline") == 46
    assert report.deletions == 20  # the file's <DeleteCitation>: none of them was stored
    assert report.deleted == 0
    assert not report.ok


def test_fields_of_a_structured_abstract(store: Store) -> None:
    import_medline(store, [EXCERPT])
    paper = store.get_paper("pmid:10704411")
    assert paper is not None
    assert paper.source == "medline" and paper.version == 1
    assert paper.title == "Dopamine modulates acute responses to cocaine, nicotine and ethanol in Drosophila."
    assert paper.abstract.startswith("BACKGROUND: Drugs of abuse have a common property in mammals")
    assert " RESULTS: We present evidence" in paper.abstract
    assert " CONCLUSIONS: We show that in Drosophila" in paper.abstract
    assert [a.name for a in paper.authors][:2] == ["R J Bainton", "L T Tsai"]
    first = paper.authors[0]
    assert first.family == "Bainton" and first.given == "R J"
    assert first.affiliation is not None and first.affiliation.startswith("Department of Anesthesia")
    assert paper.journal_ref == "Current biology : CB 10(4):187-94 (2000)"
    assert paper.submitted == datetime(2000, 2, 24, tzinfo=UTC)
    assert paper.updated == datetime(2021, 6, 7, tzinfo=UTC)
    assert paper.doi == "10.1016/s0960-9822(00)00336-5"
    assert paper.mesh_terms == [
        "Animals", "Behavior, Animal", "Cocaine", "Dopamine", "Drosophila", "Ethanol", "Male", "Nicotine",
    ]
    assert [(link.kind, link.url) for link in paper.links] == [
        ("abs", "https://pubmed.ncbi.nlm.nih.gov/10704411/"),
        ("doi", "https://doi.org/10.1016/s0960-9822(00)00336-5"),
    ]


def test_references_suffixes_collectives_dates_and_code(store: Store) -> None:
    import_medline(store, [EXCERPT])
    cited = store.get_paper("pmid:12486199")
    assert cited is not None
    assert len(cited.references) == 36
    assert cited.references[:3] == ["pmid:10196569", "pmid:10531458", "pmid:10549986"]
    assert "pmid:12486199" not in cited.references  # its own id is not a reference

    suffixed = store.get_paper("pmid:16919692")
    assert suffixed is not None
    assert any(a.name == "Mammen P Mammen Jr" and a.suffix == "Jr" for a in suffixed.authors)

    group = store.get_paper("pmid:32169469")
    assert group is not None
    assert any(a.name == "UCC-SMART-Studygroup" and a.family is None for a in group.authors)

    medline_date = store.get_paper("pmid:29426732")  # <MedlineDate>2018 Jul-Aug</MedlineDate>
    assert medline_date is not None and medline_date.submitted == datetime(2018, 7, 1, tzinfo=UTC)

    tool = store.get_paper("pmid:32735310")
    assert tool is not None and tool.has_code
    assert [link.url for link in tool.code_links] == ["https://github.com/hoelzer/poseidon"]
    assert "AVAILABILITY AND IMPLEMENTATION: PoSeiDon is freely available" in tool.abstract


def test_gzip_file_with_mesh_terms(store: Store) -> None:
    report = import_medline(store, [EXCERPT_GZ])
    assert report.ok and report.counts == UpsertCounts(added=60)
    papers = store.latest_papers(limit=100)
    assert len(papers) == 60
    with_mesh = [p for p in papers if p.mesh_terms]
    assert len(with_mesh) >= 50
    assert all(p.id.startswith("pmid:") and p.source == "medline" for p in papers)


def test_rerun_changes_no_counts(store: Store) -> None:
    first = import_medline(store, [EXCERPT, EXCERPT_GZ], batch_size=7)
    assert first.counts == UpsertCounts(added=106, failed=1)
    again = import_medline(store, [EXCERPT, EXCERPT_GZ], batch_size=50)
    assert again.counts == UpsertCounts(unchanged=106, failed=1)
    assert store.count_papers() == 106


def test_progress_reports_every_byte(sqlite_store: Store) -> None:
    seen: list[int] = []
    import_medline(sqlite_store, [EXCERPT, EXCERPT_GZ], on_progress=seen.append)
    assert sum(seen) == EXCERPT.stat().st_size + EXCERPT_GZ.stat().st_size


def test_newer_version_and_doi_from_elocation(sqlite_store: Store, tmp_path: Path) -> None:
    text = EXCERPT.read_text()
    start = text.index("  <PubmedArticle>")
    end = text.index("</PubmedArticle>", start) + len("</PubmedArticle>\n")
    head, record = text[:start], text[start:end]
    import_medline(sqlite_store, [EXCERPT])
    changed = (
        record.replace('<PMID Version="1">10704411', '<PMID Version="2">10704411', 1)
        .replace('<ArticleId IdType="doi">10.1016/s0960-9822(00)00336-5</ArticleId>', "")
        .replace("</ArticleTitle>", "</ArticleTitle>\n<ELocationID EIdType=\"doi\" ValidYN=\"Y\">10.1/new</ELocationID>", 1)
    )
    path = tmp_path / "update.xml"
    path.write_text(head + changed + "</PubmedArticleSet>\n")
    report = import_medline(sqlite_store, [path])
    assert report.counts == UpsertCounts(updated=1)
    paper = sqlite_store.get_paper("pmid:10704411")
    assert paper is not None and paper.version == 2 and paper.doi == "10.1/new"


BOMB = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID Version="1">1</PMID>
<Article><ArticleTitle>&d;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID Version="1">1</PMID>
<Article><ArticleTitle>&xxe;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""


@pytest.mark.parametrize("content", [BOMB, EXTERNAL], ids=["bomb", "external-entity"])
def test_unsafe_xml_is_refused(sqlite_store: Store, tmp_path: Path, content: str) -> None:
    path = tmp_path / "evil.xml"
    path.write_text(content)
    report = import_medline(sqlite_store, [path, EXCERPT_GZ])
    assert any(str(path) in e and "refused unsafe XML" in e for e in report.stops)
    assert sqlite_store.get_paper("pmid:1") is None
    assert report.counts.added == 60  # the next file still imports
    assert not report.ok


def test_malformed_and_truncated_files_keep_what_was_read(sqlite_store: Store, tmp_path: Path) -> None:
    text = EXCERPT.read_text()
    cut = text.index("<PubmedArticle>", text.index("12486199"))  # after a few whole records
    broken = tmp_path / "broken.xml"
    broken.write_text(text[:cut] + "<PubmedArticle><oops></PubmedArticle>")
    data = EXCERPT_GZ.read_bytes()
    truncated = tmp_path / "cut.xml.gz"
    truncated.write_bytes(gzip.compress(gzip.decompress(data))[: len(data) // 2])
    report = import_medline(sqlite_store, [broken, truncated])
    assert len(report.stops) == 2
    malformed, cut_file = report.stops
    assert str(broken) in malformed and "malformed XML at line" in malformed
    assert str(truncated) in cut_file and "truncated" in cut_file
    assert sqlite_store.get_paper("pmid:10704411") is not None  # before the break: kept
    assert 0 < report.counts.added < 60 + 47


def test_missing_file_is_reported(sqlite_store: Store, tmp_path: Path) -> None:
    report = import_medline(sqlite_store, [tmp_path / "nope.xml.gz"])
    assert "nope.xml.gz" in report.stops[0] and "cannot read" in report.stops[0]


def _update_file(path: Path, body: str) -> Path:
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n{body}</PubmedArticleSet>\n')
    return path


def test_delete_citation_removes_stored_papers(store: Store, tmp_path: Path) -> None:
    import_medline(store, [EXCERPT])
    query = parse_query("Drosophila dopamine cocaine ethanol")
    assert "pmid:10704411" in [h.paper_id for h in keyword_search(store, query, limit=50)]
    update = _update_file(
        tmp_path / "update.xml",
        "<DeleteCitation>\n"
        '<PMID Version="1">10704411</PMID>\n'
        '<PMID Version="1">99999999</PMID>\n'  # never stored: listed, not counted as deleted
        "</DeleteCitation>\n",
    )
    report = import_medline(store, [update])
    assert (report.deletions, report.deleted) == (2, 1)
    assert report.as_dict()["deleted"] == 1
    assert store.get_paper("pmid:10704411") is None
    assert store.count_papers(source="medline") == 45
    assert "pmid:10704411" not in [h.paper_id for h in keyword_search(store, query, limit=50)]
    rerun = import_medline(store, [update])
    assert (rerun.deletions, rerun.deleted) == (2, 0)


def test_an_article_then_its_deletion_in_one_file_ends_deleted(
    sqlite_store: Store, tmp_path: Path
) -> None:
    text = EXCERPT.read_text()
    article = text[text.index("<PubmedArticle>") : text.index("</PubmedArticle>") + len("</PubmedArticle>")]
    pmid = article.split('<PMID Version="1">', 1)[1].split("<", 1)[0]
    update = _update_file(
        tmp_path / "update.xml",
        f'{article}\n<DeleteCitation>\n<PMID Version="1">{pmid}</PMID>\n</DeleteCitation>\n',
    )
    report = import_medline(sqlite_store, [update])
    assert report.counts.added == 1 and (report.deletions, report.deleted) == (1, 1)
    assert sqlite_store.get_paper(f"pmid:{pmid}") is None
