import pytest

from paperwire.arxiv_ids import (
    MAX_VERSION,
    InvalidArxivId,
    is_arxiv_category,
    is_arxiv_id,
    is_key_shaped,
    normalize_arxiv_id,
    parse_arxiv_id,
)


@pytest.mark.parametrize(
    ("text", "ident", "version"),
    [
        ("2101.00001", "2101.00001", None),
        ("2101.00001v3", "2101.00001", 3),
        ("0704.0001", "0704.0001", None),
        ("1412.9999v12", "1412.9999", 12),
        ("1501.00001", "1501.00001", None),
        ("arXiv:2101.00001v2", "2101.00001", 2),
        ("arxiv:2101.00001", "2101.00001", None),
        ("ARXIV: 2101.00001", "2101.00001", None),
        ("  2101.00001  ", "2101.00001", None),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v2", "hep-th/9901001", 2),
        ("math.GT/0309136", "math.GT/0309136", None),
        ("math.GT/0309136v1", "math.GT/0309136", 1),
        ("quant-ph/0201082v1", "quant-ph/0201082", 1),
        ("astro-ph/0601001", "astro-ph/0601001", None),
        ("cond-mat/9901001", "cond-mat/9901001", None),
        ("arXiv:hep-th/9901001", "hep-th/9901001", None),
        ("https://arxiv.org/abs/2101.00001", "2101.00001", None),
        ("http://arxiv.org/abs/2101.00001v4", "2101.00001", 4),
        ("https://www.arxiv.org/abs/2101.00001", "2101.00001", None),
        ("https://arxiv.org/pdf/2101.00001", "2101.00001", None),
        ("https://arxiv.org/pdf/2101.00001.pdf", "2101.00001", None),
        ("https://arxiv.org/pdf/2101.00001v2.pdf", "2101.00001", 2),
        ("https://arxiv.org/pdf/2101.00001v2", "2101.00001", 2),
        ("https://arxiv.org/html/2101.00001v1", "2101.00001", 1),
        ("arxiv.org/abs/2101.00001", "2101.00001", None),
        ("https://arxiv.org/abs/hep-th/9901001v3", "hep-th/9901001", 3),
        ("https://arxiv.org/pdf/math.GT/0309136.pdf", "math.GT/0309136", None),
        ("https://arxiv.org/abs/2101.00001/", "2101.00001", None),
        ("https://arxiv.org/abs/2101.00001?context=cs", "2101.00001", None),
        ("http://export.arxiv.org/abs/2104.12255v1", "2104.12255", 1),
    ],
)
def test_parses_known_spellings(text: str, ident: str, version: int | None) -> None:
    parsed = parse_arxiv_id(text)
    assert parsed.id == ident
    assert parsed.version == version
    assert normalize_arxiv_id(text) == ident


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "2101.1",
        "2101.000001",  # six digits
        "2113.00001",  # month 13
        "2100.00001",  # month 0
        "1412.00001",  # five digits before 2015
        "1501.0001",  # four digits from 2015
        "2101.00001v0",
        "2101.00001v",
        "hep-th/990100",
        "hep-th/9913001",  # month 13
        "HEP-TH/9901001",
        "https://example.org/abs/2101.00001",
        "https://arxiv.org/list/cs.LG/new",
        "2101.00001 2101.00002",
        "javascript:alert(1)",
        "<script>2101.00001</script>",
    ],
)
def test_rejects_with_the_input_quoted(text: str) -> None:
    with pytest.raises(InvalidArxivId) as info:
        parse_arxiv_id(text)
    assert repr(text)[:40].strip("'")[:10] in str(info.value)
    assert not is_arxiv_id(text)


def test_versioned_round_trip() -> None:
    parsed = parse_arxiv_id("arXiv:2101.00001v7")
    assert parsed.versioned == "2101.00001v7"
    assert str(parse_arxiv_id("hep-th/9901001")) == "hep-th/9901001"


def test_long_input_is_shortened_in_message() -> None:
    with pytest.raises(InvalidArxivId) as info:
        parse_arxiv_id("x" * 500)
    assert len(str(info.value)) < 150


@pytest.mark.parametrize(
    "text",
    [
        "２１０１.００００１",  # fullwidth digits: int() reads them, so they were a second key
        "2101.０0001",
        "٢١٠١.٠٠٠٠١",  # Arabic-Indic
        "hep-th/９９01001",
        "2101.00001v２",
        "2101.00001v²",
    ],
)
def test_ids_are_ascii_digits_only(text: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)


def test_a_version_too_large_for_a_database_integer_is_refused() -> None:
    assert parse_arxiv_id("2101.00001v999999").version == MAX_VERSION
    for digits in ("1000000", "9" * 31, "9" * 5000):  # past 4,300 digits int() itself raises
        with pytest.raises(InvalidArxivId, match=r"version number too large \(at most 999,999\)") as info:
            parse_arxiv_id(f"https://arxiv.org/abs/2101.00001v{digits}")
        assert str(info.value).startswith("'https://arxiv.org/abs/2101.00001v")


@pytest.mark.parametrize("code", ["cs.CV", "hep-th", "q-bio.NC", "cond-mat.stat-mech", "math-ph", "physics.atom-ph", "econ.EM"])
def test_real_categories_have_the_category_shape(code: str) -> None:
    assert is_arxiv_category(code)


@pytest.mark.parametrize(
    "code",
    ["", "cs LG", "cs.LG ", "cs.LG\n", "<b>", "cs.LG.x", "1cs", "cs.L1", "ｃｓ.LG", "a" * 21, "cs." + "A" * 21, "cs$LG"],
)
def test_other_text_is_no_category(code: str) -> None:
    assert not is_arxiv_category(code)


def test_key_shape_is_an_id_without_version() -> None:
    assert is_key_shaped("2101.00001") and is_key_shaped("hep-th/9901001") and is_key_shaped("math.GT/0309136")
    assert not is_key_shaped("2101.00001v1") and not is_key_shaped("２１０１.００００１")
    assert not is_key_shaped("pmid:1")
