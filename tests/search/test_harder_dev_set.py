"""The harder search dev set (tests/data/search_dev/harder.json) is well formed: every
judged paper is in its corpus, the halves are disjoint and split by the rule its README
states, grades are 1 or 2. Cheap: no database, no embedding (the bench measures it)."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from pathlib import Path

import pytest

from paperwire.ingest.arxiv_atom import parse_atom_page, read_saved_response
from paperwire.ingest.errors import IngestError
from paperwire.ingest.sample import sample_files
from paperwire.search.quality import load_dev_set

PATH = Path(__file__).resolve().parent.parent / "data" / "search_dev" / "harder.json"
FILES = {"m77": "pubmed20n0014.xml.gz", "m21": "pubmed21n1298.xml.gz"}


@pytest.fixture(scope="module")
def data() -> dict:  # type: ignore[type-arg]
    return json.loads(PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def corpus(data: dict) -> set[str]:  # type: ignore[type-arg]
    """Every paper id of the corpus: the arXiv sample's (read from its recordings) and
    ``pmid:N`` for each listed MEDLINE record."""
    ids: set[str] = set()
    for path in sample_files():
        try:
            page = parse_atom_page(read_saved_response(path.read_bytes(), where=str(path)), where=str(path))
        except IngestError:
            continue  # recorded error feeds
        ids |= {p.id for p in page.papers}
    assert data["corpus"]["arxiv_sample"] == "all" and len(ids) == 105
    medline = data["corpus"]["medline"]
    assert set(medline) == set(FILES.values())
    for pmids in medline.values():
        assert len(pmids) == len(set(pmids)) == 1000
        assert all(p.isascii() and p.isdigit() for p in pmids)
    assert not set(medline[FILES["m77"]]) & set(medline[FILES["m21"]])
    return ids | {f"pmid:{p}" for pmids in medline.values() for p in pmids}


def test_every_judged_paper_is_in_the_corpus(data: dict, corpus: set[str]) -> None:  # type: ignore[type-arg]
    for q in data["queries"]:
        assert set(q["judged"]) <= corpus, q["id"]
        assert set(q["relevant"]) <= set(q["judged"]), q["id"]
        assert len(q["judged"]) == len(set(q["judged"]))


def test_grades_and_targets(data: dict, corpus: set[str]) -> None:  # type: ignore[type-arg]
    for q in data["queries"]:
        assert q["relevant"], q["id"]
        assert set(q["relevant"].values()) <= {1, 2}, q["id"]
        assert q["relevant"][q["target"]] == 2, q["id"]  # the paper the query was written from
        if q["source"] in FILES:  # a MEDLINE target comes from the file its source names
            assert q["target"].removeprefix("pmid:") in data["corpus"]["medline"][FILES[q["source"]]]
        else:
            assert not q["target"].startswith("pmid:")


def test_queries_are_unique_and_load_through_the_quality_module(data: dict) -> None:  # type: ignore[type-arg]
    dev = load_dev_set(PATH)
    assert len(dev) == len(data["queries"]) == 117
    assert len({j.id for j in dev}) == 117
    # the bench looks rankings up by query text
    assert len({" ".join(j.query.lower().split()) for j in dev}) == 117
    assert len({q["target"] for q in data["queries"]}) == 117
    assert Counter((q["batch"], q["source"]) for q in data["queries"]) == {
        (1, "ax"): 20, (1, "m77"): 30, (1, "m21"): 27, (2, "ax"): 6, (2, "m77"): 20, (2, "m21"): 14}


def test_halves_are_disjoint_and_split_by_the_stated_rule(data: dict) -> None:  # type: ignore[type-arg]
    """Per source and batch, ordered by SHA-256 of the id, the first half (rounded up)
    tunes: queries added later are split among themselves, so no query changes half."""
    halves = {q["id"]: q["half"] for q in data["queries"]}
    assert set(halves.values()) == {"tuning", "held-out"}
    for batch, source in itertools.product((1, 2), ("ax", "m77", "m21")):
        ids = sorted((q["id"] for q in data["queries"] if (q["batch"], q["source"]) == (batch, source)),
                     key=lambda i: hashlib.sha256(i.encode()).hexdigest())
        cut = (len(ids) + 1) // 2
        assert [halves[i] for i in ids] == ["tuning"] * cut + ["held-out"] * (len(ids) - cut), source
    tuning = {q["query"] for q in data["queries"] if q["half"] == "tuning"}
    held_out = {q["query"] for q in data["queries"] if q["half"] == "held-out"}
    assert not tuning & held_out
    assert (len(tuning), len(held_out)) == (59, 58)
