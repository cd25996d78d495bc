"""Importing saved arXiv API responses, including every kind of bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperwire.ingest.arxiv_atom import parse_atom_page
from paperwire.ingest.errors import ArxivApiError, IngestError
from paperwire.ingest.files import import_atom_files
from paperwire.ingest.sample import SAMPLE_DIR, load_sample, sample_files
from paperwire.models import UpsertCounts
from paperwire.store import Store

ONE_PAPER = SAMPLE_DIR / "id_2104.12255v1_s0_m100_6ae69987ffe1.json"


def body(path: Path) -> str:
    return json.loads(path.read_text())["body"]


def test_parses_a_real_response() -> None:
    page = parse_atom_page(body(ONE_PAPER), where="x")
    assert page.total_results == 1
    [paper] = page.papers
    assert paper.id == "2104.12255" and paper.version == 1
    assert paper.title == "0"
    assert paper.authors[0].name == "Quan Thoi Minh Nguyen"
    assert paper.categories == ["cs.CR"]
    assert paper.submitted is not None and paper.submitted.year == 2021
    assert [link.kind for link in paper.links][:2] == ["abs", "pdf"]


def test_sample_loads_about_a_hundred_real_papers(store: Store) -> None:
    report = load_sample(store)
    assert 100 <= store.count_papers() <= 120
    assert report.counts.added == store.count_papers()
    # The recordings include arXiv's error feed for the malformed id 'abc'.
    assert any("incorrect id format for abc" in e for e in report.errors)
    again = load_sample(store)
    assert again.counts.added == 0 and again.counts.updated == 0
    assert store.count_papers() == report.counts.added


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol3;</title></entry></feed>"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2101.00001v1</id>
<title>&xxe;</title></entry></feed>"""


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("truncated.xml", body(ONE_PAPER)[: len(body(ONE_PAPER)) // 2], "malformed XML"),
        ("error.json", (SAMPLE_DIR / "id_abc_s0_m100_b79c8dcf6bc3.json").read_text(), "incorrect id format"),
        ("notxml.txt", "this is not XML at all\n", "malformed XML"),
        ("empty.xml", "", "empty file"),
        ("bomb.xml", BOMB, "refused unsafe XML"),
        ("external.xml", EXTERNAL, "refused unsafe XML"),
        ("html.xml", "<html><body>rate limited</body></html>", "not an Atom feed"),
        ("broken.json", "{not json", "invalid JSON"),
        ("nested.json", "[" * 100_000 + "]" * 100_000, "invalid JSON"),
    ],
)
def test_bad_file_is_named_and_others_still_import(
    store: Store, tmp_path: Path, name: str, content: str, problem: str
) -> None:
    bad = write(tmp_path, name, content)
    good = write(tmp_path, "good.xml", body(ONE_PAPER))
    report = import_atom_files(store, [bad, good])
    assert not report.ok
    [error] = report.errors
    assert str(bad) in error and problem in error
    assert report.counts == UpsertCounts(added=1, failed=1)
    assert store.get_paper("2104.12255") is not None


def test_a_bad_entry_costs_only_itself(store: Store, tmp_path: Path) -> None:
    """A file whose last entry is broken stores the others and names the broken one."""
    text = body(SAMPLE_DIR / "q_testing_s0_m10_bc5a6c384fe9.json")
    entries = text.count("<entry>")
    assert entries >= 2
    last = text.rfind("<title>")
    broken = text[:last] + "<title></title>" + text[text.index("</title>", last) + len("</title>") :]
    path = write(tmp_path, "half.xml", broken)
    report = import_atom_files(store, [path])
    [error] = report.errors
    assert error.startswith(f"{path}: entry ") and error.endswith(": has no title")
    assert report.counts == UpsertCounts(added=entries - 1, failed=1)
    assert store.count_papers() == entries - 1


def test_error_feed_raises_api_error() -> None:
    with pytest.raises(ArxivApiError, match="incorrect id format for abc"):
        parse_atom_page(body(SAMPLE_DIR / "id_abc_s0_m100_b79c8dcf6bc3.json"), where="abc")


def test_unreadable_path_is_reported(store: Store, tmp_path: Path) -> None:
    report = import_atom_files(store, [tmp_path / "missing.xml"])
    assert "missing.xml" in report.errors[0] and "cannot read" in report.errors[0]


def test_every_sample_file_is_a_recorded_response() -> None:
    files = sample_files()
    assert len(files) >= 20
    for f in files:
        record = json.loads(f.read_text())
        assert record["body"].lstrip().startswith("<?xml")


def test_ingest_error_message_names_where() -> None:
    err = IngestError("some/file.xml", "bad thing")
    assert str(err) == "some/file.xml: bad thing"
