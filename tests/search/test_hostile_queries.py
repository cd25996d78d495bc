"""User input never breaks the query engine, on either backend: anything typed gives
results (possibly none) or an ``InvalidParameter`` with a clear message — nothing else."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperwire.errors import InvalidParameter
from paperwire.search.keyword import keyword_search
from paperwire.search.query import MAX_EXCLUSIONS, MAX_QUERY_CHARS, parse_query
from paperwire.store import Store

HOSTILE = [
    '"', '""', '"""', "'", "''", "\\", "\\'", '"unterminated phrase',
    "AND", "OR", "NOT", "NEAR", "a AND", "OR b", "NOT NOT NOT", "NEAR(a b, 2)", "a NEAR/3 b",
    "-", "--", "- -", "-test", "+", "++test", "*", "**", "test*", "t*", "*test", "^test",
    "title:test", "abstract:", ":", "{title authors}: test", "col:(a OR b)",
    "(", ")", "(((test", "test)))", "()", "[test]", "{test}",
    "$\\alpha$-stable testing", "$$\\sum_{i=1}^n x_i$$", "\\frac{1}{2}", "x^2 + y_1",
    "'; DROP TABLE papers; --", "1' OR '1'='1", "test%", "%", "_", "%_%", "?", "?1", ":name", "$1",
    "test\x00null", "\x00", "\u200b", "\ufeff", "\u202e reversed", "😀 testing 🚀",
    "тестирование", "测试 软件", "テスト", "اختبار", "Ünïcödé téstîng", "ǅ", "ß", "ﬁnite",
    "tab\tsep\nnewline\rreturn", "!!!", "&&", "||", "|", "&", "!", "<->", "<1>", "a <-> b",
    "a & b | !c", "'quoted':*", "x:*", "a:A", "__init__", "under_score", "a" * 500,
    "word " * 2000, "\"a\" " * 300, "-x " * 300,
]


def test_hostile_text_is_searched_safely(sample_store: Store) -> None:
    for text in HOSTILE:  # one loop, so the sample is loaded once per backend
        hits = keyword_search(sample_store, text, limit=5)
        assert isinstance(hits, list) and len(hits) <= 5, text
    assert keyword_search(sample_store, "$\\alpha$-stable testing", limit=5)
    assert keyword_search(sample_store, "😀 testing 🚀", limit=5)


def test_ten_thousand_characters_is_searched(sample_store: Store) -> None:
    text = ("metamorphic testing of machine learning systems " * 300)[:MAX_QUERY_CHARS]
    assert len(text) == MAX_QUERY_CHARS
    assert keyword_search(sample_store, text, limit=5)


def test_longer_queries_get_a_clear_error(sample_store: Store) -> None:
    with pytest.raises(InvalidParameter, match=r"too long: 10001 characters \(at most 10000\)"):
        keyword_search(sample_store, "x" * (MAX_QUERY_CHARS + 1))


def test_sql_in_a_query_is_only_words(sample_store: Store) -> None:
    before = sample_store.count_papers()
    keyword_search(sample_store, "'; DELETE FROM papers; --")
    assert sample_store.count_papers() == before
    assert parse_query("'; DELETE FROM papers; --").keyword.any_terms == ("delete", "papers")


_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list('"\'()*^:+-_%?$\\{}[]<>|&!~@#.,;/=NEARORANDNOT \t\n')),
        st.characters(codec="utf-8"),
    ),
    max_size=200,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT)
def test_random_text_never_raises_anything_but_invalid_parameter(sample_store: Store, text: str) -> None:
    try:
        hits = keyword_search(sample_store, text, limit=3)
    except InvalidParameter as exc:
        assert exc.parameter == "q"
        if exc.message.startswith("too many excluded words"):
            assert text.count("-") + text.count("NOT") > MAX_EXCLUSIONS
        else:
            assert exc.message == "query is empty" and not text.strip()
    else:
        assert len(hits) <= 3
