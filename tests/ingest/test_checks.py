"""The one check every imported record passes (``ingest/checks.py``): each cap at its
edge, identifiers, shapes, and a record at every cap stored on both backends."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.ingest import checks
from paperwire.ingest.checks import check_paper, explain, first_doi, passes
from paperwire.ingest.errors import IngestError
from paperwire.ingest.links import finish_paper
from paperwire.models import Author, Link, Paper
from paperwire.store import Store


def paper(**kw: Any) -> Paper:
    base: dict[str, Any] = {
        "id": "2101.00001",
        "version": 2,
        "title": "A title",
        "abstract": "An abstract.",
        "authors": [Author("Ada Lovelace", "Lovelace", "Ada")],
        "categories": ["cs.LG", "stat.ML"],
        "submitted": datetime(2021, 1, 1, tzinfo=UTC),
        "doi": "10.1103/PhysRevD.76.013009",
    }
    base.update(kw)
    return Paper(**base)


def problem(p: Paper) -> str:
    with pytest.raises(IngestError) as info:
        check_paper(p, where="f.json:7")
    assert str(info.value).startswith("f.json:7: ")
    return info.value.problem


def test_a_usual_record_passes_the_quick_test() -> None:
    p = paper()
    assert passes(p) and check_paper(p, where="x") is p


# (field, cap, how a value of n characters is made)
TEXT_CAPS = [
    ("title", checks.MAX_TITLE, lambda n: paper(title="t" * n)),
    ("abstract", checks.MAX_ABSTRACT, lambda n: paper(abstract="a" * n)),
    ("comments", checks.MAX_COMMENTS, lambda n: paper(comments="c" * n)),
    ("journal reference", checks.MAX_JOURNAL_REF, lambda n: paper(journal_ref="j" * n)),
    ("license", checks.MAX_LICENSE, lambda n: paper(license="l" * n)),
    ("DOI", checks.MAX_DOI, lambda n: paper(doi="10.1234/" + "d" * (n - 8))),
    ("author 1 name", checks.MAX_AUTHOR_NAME, lambda n: paper(authors=[Author("n" * n)])),
    ("author 2 family name", checks.MAX_AUTHOR_NAME, lambda n: paper(authors=[Author("A"), Author("B", family="f" * n)])),
    ("author 1 affiliation", checks.MAX_AFFILIATION, lambda n: paper(authors=[Author("A", affiliation="x" * n)])),
]


@pytest.mark.parametrize(("field", "cap", "make"), TEXT_CAPS, ids=[c[0] for c in TEXT_CAPS])
def test_each_text_cap_takes_its_limit_and_refuses_one_more(field: str, cap: int, make: Any) -> None:
    check_paper(make(cap), where="x")
    assert problem(make(cap + 1)) == f"{field} has {cap + 1:,} characters (at most {cap:,})"


COUNT_CAPS = [
    ("authors", checks.MAX_AUTHORS, lambda n: paper(authors=[Author(f"A{i}") for i in range(n)])),
    ("categories", checks.MAX_CATEGORIES, lambda n: paper(categories=["cs.LG"] * n)),
    ("MeSH terms", checks.MAX_MESH_TERMS, lambda n: paper(id="pmid:1", source="medline", categories=[], mesh_terms=["m"] * n)),
    ("references", checks.MAX_REFERENCES, lambda n: paper(id="pmid:1", source="medline", categories=[], references=["pmid:2"] * n)),
]


@pytest.mark.parametrize(("what", "cap", "make"), COUNT_CAPS, ids=[c[0] for c in COUNT_CAPS])
def test_each_count_cap_takes_its_limit_and_refuses_one_more(what: str, cap: int, make: Any) -> None:
    check_paper(make(cap), where="x")
    assert problem(make(cap + 1)) == f"{cap + 1:,} {what} (at most {cap:,})"


def test_totals_of_keyword_text_and_affiliations() -> None:
    per = checks.MAX_AUTHOR_NAME
    title, abstract = "t" * 1000, "a" * 79_000  # with 100 names of 1,000: 180,000 in all
    check_paper(paper(title=title, abstract=abstract, authors=[Author("n" * per) for _ in range(100)]), where="x")
    too_many = paper(title=title, abstract=abstract, authors=[Author("n" * per) for _ in range(100)] + [Author("m")])
    assert problem(too_many) == "title, author names and abstract have 180,001 characters together (at most 180,000)"
    per = checks.MAX_AFFILIATION
    count = checks.MAX_AFFILIATIONS_TOTAL // per
    authors = [Author(f"A{i}", affiliation="x" * per) for i in range(count)]
    check_paper(paper(authors=authors), where="x")
    authors.append(Author("B", affiliation="y"))
    assert problem(paper(authors=authors)).startswith("affiliations have 1,000,001 characters together")


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (paper(version=10**31), "version '10000000000000000000000000000000' is not a number from 1 to 999,999"),
        (paper(version=0), "version '0' is not a number from 1 to 999,999"),
        (paper(version=True), "version 'True' is not a number from 1 to 999,999"),
        (paper(version="3"), "version '3' is not a number from 1 to 999,999"),
        (paper(id="２１０１.００００１"), "bad arXiv id '２１０１.００００１': not an arXiv id or arXiv URL"),
        (paper(id="2101.00001v2"), "arXiv id '2101.00001v2' is not in its stored form '2101.00001'"),
        (paper(id="pmid:１２", source="medline"), "MEDLINE id 'pmid:１２' is not pmid: and up to 12 ASCII digits"),
        (paper(id="pmid:1234567890123", source="medline"), "MEDLINE id 'pmid:1234567890123' is not pmid: and up to 12 ASCII digits"),
        (paper(source="web"), "unknown source 'web'"),
        (paper(title="  "), "empty title"),
        (paper(abstract="a\x00b"), "abstract contains a NUL character"),
        (paper(authors=[Author(1, 2)]), "author 1 name is int, not text"),  # type: ignore[arg-type]
        (paper(authors=[Author("A", family=["x"])]), "author 1 family name is list, not text"),  # type: ignore[arg-type]
        (paper(authors=[Author(" ")]), "author 1 has an empty name"),
        (paper(authors=[["Lovelace", "Ada"]]), "author 1 is list, not an author"),
        (paper(authors="Ada"), "authors are str, not a list"),
        (paper(categories=["cs.LG", "cs LG"]), "category 'cs LG' is not an arXiv category (like cs.CV or hep-th)"),
        (paper(categories=["<script>"]), "category '<script>' is not an arXiv category (like cs.CV or hep-th)"),
        (paper(categories=[7]), "one of the categories is int, not text"),
        (paper(doi="10.1/x` <img src=x onerror=alert(1)> `"),
         "DOI '10.1/x` <img src=x onerror=alert(1)> `' is not a DOI (10.NNNN/suffix, no spaces or quotes)"),
        (paper(doi="doi:10.1000/1"), "DOI 'doi:10.1000/1' is not a DOI (10.NNNN/suffix, no spaces or quotes)"),
        (paper(doi='10.1000/"x"'), "DOI '10.1000/\"x\"' is not a DOI (10.NNNN/suffix, no spaces or quotes)"),
        (paper(submitted=datetime(9999, 12, 31, tzinfo=UTC)), "submitted date 9999-12-31 00:00:00+00:00 is outside the years 1000–2999"),
        (paper(announced=date(1, 1, 1)), "announcement day 0001-01-01 is outside the years 1000–2999"),
        (paper(updated="2021-01-01"), "updated date is str, not a datetime"),
        (paper(id="pmid:1", source="medline", categories=[], references=["2"]), "reference '2' is not pmid: and ASCII digits"),
    ],
)
def test_what_is_refused_and_the_message(p: Paper, expected: str) -> None:
    assert problem(p) == expected


@pytest.mark.parametrize(
    "doi",
    [
        "10.1103/PhysRevD.76.013009",
        "10.1002/(SICI)1097-4636(199812)43:4<382::AID-JBM5>3.0.CO;2-I",  # SICI, as MEDLINE has them
        "10.103/00006450-03000-0000",  # a real MEDLINE registrant typo: still only text
        "10.1007/JHEP02(2013)077",
        "10.1000.10/abc#frag_1+2",
    ],
)
def test_real_dois_pass(doi: str) -> None:
    check_paper(paper(doi=doi), where="x")


def test_first_doi_of_a_list() -> None:
    assert first_doi("10.1/a 10.1/b") == "10.1/a"
    assert first_doi("  ") is None and first_doi(None) is None and first_doi("") is None


def test_finish_paper_refuses_before_reading_links_and_caps_them() -> None:
    with pytest.raises(IngestError, match="abstract has"):
        finish_paper(paper(abstract="https://github.com/a/b " * 10_000), where="x")
    urls = " ".join(f"https://github.com/lab/repo{i}" for i in range(500))
    done = finish_paper(paper(abstract=urls, comments="https://github.com/" + "x" * 3000), where="x")
    assert len(done.links) == checks.MAX_LINKS
    assert all(len(link.url) <= checks.MAX_LINK_URL for link in done.links)


_text = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["\x00", " ", "cs.LG", "x" * 1001]))
_authors = st.lists(
    st.builds(Author, name=st.one_of(st.text(max_size=6), st.integers()), family=_text, affiliation=_text),
    max_size=3,
)


@settings(max_examples=400, deadline=None)
@given(
    ident=st.sampled_from(["2101.00001", "hep-th/9901001", "2101.00001v1", "pmid:1", "x"]),
    source=st.sampled_from(["arxiv", "medline"]),
    version=st.one_of(st.none(), st.integers(-1, 2_000_000), st.booleans()),
    title=st.one_of(st.text(max_size=5), st.just(" ")),
    authors=_authors,
    categories=st.lists(st.one_of(st.sampled_from(["cs.LG", "hep-th", "cs LG", ""]), st.integers()), max_size=3),
    doi=st.one_of(st.none(), st.sampled_from(["10.1/a", "10.1/a b", "x", ""])),
    comments=_text,
    submitted=st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
    announced=st.one_of(st.none(), st.dates()),
    mesh=st.lists(st.text(max_size=3), max_size=2),
)
def test_the_quick_test_passes_nothing_the_rules_refuse(**kw: Any) -> None:
    """``passes`` is an optimisation of ``explain``: it may send a good record to the
    slow path, never let a bad one through."""
    p = Paper(
        id=kw["ident"], source=kw["source"], version=kw["version"], title=kw["title"],
        authors=kw["authors"], categories=kw["categories"], doi=kw["doi"], comments=kw["comments"],
        submitted=kw["submitted"], announced=kw["announced"], mesh_terms=kw["mesh"],
    )
    if passes(p):
        explain(p, where="x")  # must not raise


def _words(chars: int, letters: str, length: int, start: int = 0) -> str:
    """Distinct words of ``length`` letters, space-separated, ``chars`` characters in
    all: the most keyword-index entries text of that length can make."""
    words = ("".join(w) for w in itertools.islice(itertools.product(letters, repeat=length), start, None))
    out: list[str] = []
    size = 0
    for word in words:
        if size + length + 1 > chars:
            break
        out.append(word)
        size += length + 1
    text = " ".join(out)
    return text + "z" * (chars - len(text))


# (letters, word length): the keyword index grows with the bytes of each distinct word.
# Two-letter words of four-byte letters (mathematical alphanumerics) are the worst
# measured: 5.33 bytes of tsvector a character.
ASTRAL = "".join(chr(c) for c in range(0x1D400, 0x1D6A5) if chr(c).isalpha())
TEXTS = {
    "astral-2": (ASTRAL, 2),
    "astral-4": (ASTRAL, 4),
    "greek-3": ("αβγδεζηθικλμνξοπρστυφχψω", 3),
    "ascii-4": ("abcdefghijklmnopqrstuvwxyz", 4),
}


@pytest.mark.parametrize("text", list(TEXTS))
def test_a_record_at_every_cap_is_stored_and_read_back(store: Store, text: str) -> None:
    """The caps fit both databases: PostgreSQL's tsvector (title, author names and
    abstract) stays under 1 MB, every author key fits a B-tree entry, and nothing is cut."""
    letters, length = TEXTS[text]
    rest = checks.MAX_KEYWORD_TEXT - checks.MAX_TITLE - checks.MAX_ABSTRACT - checks.MAX_AUTHOR_NAME
    names = _words(rest, letters, length, start=60_000)
    n_authors = len(names) // 50 + 1
    affiliation = "a" * (checks.MAX_AFFILIATIONS_TOTAL // n_authors)
    # A name of 4-byte characters in no pattern (PostgreSQL compresses a repetitive index
    # entry): 4,000 bytes, past a B-tree entry's 2,704, so only its cut key fits.
    rng = random.Random(16)
    long_name = "".join(chr(rng.randrange(0x20000, 0x2A6D0)) for _ in range(checks.MAX_AUTHOR_NAME))
    authors = [Author(long_name, affiliation=affiliation)]
    authors += [Author(names[i : i + 50].strip() or "x", affiliation=affiliation) for i in range(0, len(names), 50)]
    assert sum(len(a.name) for a in authors) > (rest + checks.MAX_AUTHOR_NAME) * 0.97
    big = finish_paper(
        paper(
            title=_words(checks.MAX_TITLE, letters, length, start=200_000),
            abstract=_words(checks.MAX_ABSTRACT, letters, length),
            authors=authors,
            categories=[f"cs.{a}{b}" for a, b in itertools.islice(itertools.product("ABCDEFGH", repeat=2), checks.MAX_CATEGORIES)],
            comments="c" * checks.MAX_COMMENTS,
            journal_ref="j" * checks.MAX_JOURNAL_REF,
            license="l" * checks.MAX_LICENSE,
            doi="10.1234/" + "d" * (checks.MAX_DOI - 8),
        ),
        where="x",
    )
    medline = finish_paper(
        Paper(
            id="pmid:123456789012", source="medline", version=checks.MAX_VERSION, title="t",
            mesh_terms=[f"term {i} " + "m" * (checks.MAX_MESH_TERM - 12) for i in range(checks.MAX_MESH_TERMS)],
            references=[f"pmid:{i}" for i in range(checks.MAX_REFERENCES)],
        ),
        where="y",
    )
    assert store.upsert_papers([big, medline]).added == 2
    back = store.get_paper(big.id)
    assert back is not None
    assert back.abstract == big.abstract and back.title == big.title
    assert [a.name for a in back.authors] == [a.name for a in big.authors]
    assert back.links == big.links and back.doi == big.doi
    again = store.get_paper(medline.id)
    assert again is not None and again.references == medline.references and again.version == checks.MAX_VERSION


def test_links_of_a_record_keep_their_kinds() -> None:
    done = finish_paper(paper(), where="x")
    assert done.links[:2] == [Link("abs", "https://arxiv.org/abs/2101.00001v2"), Link("pdf", "https://arxiv.org/pdf/2101.00001v2")]
