"""``-word`` exclusions and required phrases bind every mode with one bounded statement,
on both backends; the parser drops the ones that mean nothing and refuses too many."""

from __future__ import annotations

import pytest

from paperwire.errors import InvalidParameter
from paperwire.models import Hit, KeywordQuery
from paperwire.search.embed import HashEmbedder
from paperwire.search.index import index_papers
from paperwire.search.query import MAX_EXCLUSIONS, parse_query
from paperwire.search.service import CANDIDATES, search_papers
from paperwire.store import Store

QUERY = "testing machine learning models"
# Words most of the sample's papers nearest to QUERY hold (none of them a stopword).
COMMON = ["testing", "test", "paper", "software", "cases", "results", "study", "data",
          "models", "applications", "generation", "time", "systems", "approach", "work",
          "case", "model", "method", "tests", "learning"]


def holding(store: Store, words: tuple[str, ...]) -> set[str]:
    """Every paper holding ``words`` as a phrase, by the keyword ranking."""
    return {h.paper_id for h in store.keyword_ranking(KeywordQuery(required=(words,)), limit=1000)}


@pytest.fixture
def indexed(sample_store: Store) -> Store:
    index_papers(sample_store, HashEmbedder(), batch_size=64)
    return sample_store


def test_common_words_and_single_characters_are_not_exclusions() -> None:
    parsed = parse_query('graph -the -x -"of the" -"x ray" NOT a -Networks -networks -7')
    assert parsed.keyword.excluded == (("x", "ray"), ("networks",))
    assert parsed.keyword.any_terms == ("graph",)


def test_more_exclusions_than_the_cap_are_refused() -> None:
    words = [f"w{i:02d}" for i in range(MAX_EXCLUSIONS + 1)]
    allowed = parse_query("graph " + " ".join("-" + w for w in words[:MAX_EXCLUSIONS]))
    assert len(allowed.keyword.excluded) == MAX_EXCLUSIONS
    # Repeats, common words and single characters do not count against the cap.
    padded = " ".join("-" + w for w in words[:MAX_EXCLUSIONS] * 2) + " -the -of -x -y"
    assert len(parse_query("graph " + padded).keyword.excluded) == MAX_EXCLUSIONS
    with pytest.raises(InvalidParameter, match=rf"too many excluded words: 21 \(at most {MAX_EXCLUSIONS}\)"):
        parse_query("graph " + " ".join("-" + w for w in words))
    with pytest.raises(InvalidParameter, match="too many excluded words"):
        parse_query("graph " + " ".join(f'-"{w} phrase"' for w in words))


def test_keyword_allowed_checks_only_the_candidates(sample_store: Store) -> None:
    papers = sample_store.latest_papers(limit=200)
    ids = [p.id for p in papers]
    software = holding(sample_store, ("software",))
    testing = holding(sample_store, ("testing",))
    assert software and testing and set(ids) - software  # the sample has both kinds

    excluded = KeywordQuery(excluded=(("software",),))
    assert sample_store.keyword_allowed(ids, excluded) == set(ids) - software
    # Stemmed like the index: the plural excludes the singular's papers too.
    assert sample_store.keyword_allowed(ids, KeywordQuery(excluded=(("softwares",),))) == set(ids) - software
    both = KeywordQuery(excluded=(("software",), ("testing",)))
    assert sample_store.keyword_allowed(ids, both) == set(ids) - software - testing
    required = KeywordQuery(required=(("testing",),), excluded=(("software",),))
    assert sample_store.keyword_allowed(ids, required) == testing - software
    # Only the ids asked about come back, and only stored papers.
    few = ids[:5] + ["9999.99999"]
    assert sample_store.keyword_allowed(few, required) == set(ids[:5]) & (testing - software)
    assert sample_store.keyword_allowed(few, excluded) == set(ids[:5]) - software
    assert sample_store.keyword_allowed([], excluded) == set()
    # Without required or excluded parts there is nothing to check.
    assert sample_store.keyword_allowed(few, KeywordQuery(any_terms=("x",))) == set(few)


@pytest.mark.parametrize("count", [1, 5, MAX_EXCLUSIONS])
def test_semantic_results_are_the_plain_ones_without_the_excluded(indexed: Store, count: int) -> None:
    embedder = HashEmbedder()
    words = COMMON[:count]
    plain = search_papers(indexed, embedder, QUERY, mode="semantic", limit=CANDIDATES)
    query = QUERY + " " + " ".join("-" + w for w in words)
    got = search_papers(indexed, embedder, query, mode="semantic", limit=20)
    banned = set().union(*(holding(indexed, (w,)) for w in words))
    assert banned & {h.paper_id for h in plain}  # the exclusions remove something
    assert got == [h for h in plain if h.paper_id not in banned][:20]


def test_hybrid_results_hold_no_excluded_word(indexed: Store) -> None:
    embedder = HashEmbedder()
    words = COMMON[2:MAX_EXCLUSIONS]  # "testing" stays: the keyword side needs matches
    query = QUERY + " " + " ".join("-" + w for w in words)
    got = search_papers(indexed, embedder, query, mode="hybrid", limit=50)
    banned = set().union(*(holding(indexed, (w,)) for w in words))
    assert got and not {h.paper_id for h in got} & banned
    plain = search_papers(indexed, embedder, QUERY, mode="hybrid", limit=100)
    assert {h.paper_id for h in plain} & banned


def test_required_phrase_and_exclusions_bind_semantic_results(indexed: Store) -> None:
    embedder = HashEmbedder()
    plain = search_papers(indexed, embedder, QUERY, mode="semantic", limit=CANDIDATES)
    got = search_papers(indexed, embedder, QUERY + ' "test cases" -software', mode="semantic", limit=20)
    phrase, software = holding(indexed, ("test", "cases")), holding(indexed, ("software",))
    # The phrase's own words join the embedded text, so compare by constraint, not order.
    assert got and all(h.paper_id in phrase - software for h in got)
    assert {h.paper_id for h in plain} & software


def test_exclusions_never_reach_the_score(indexed: Store) -> None:
    """Excluding a word drops papers; it does not re-rank the ones that stay."""
    embedder = HashEmbedder()
    plain = search_papers(indexed, embedder, QUERY, mode="semantic", limit=CANDIDATES)
    got = search_papers(indexed, embedder, QUERY + " -software", mode="semantic", limit=10)
    scores = {h.paper_id: h.score for h in plain}
    assert all(isinstance(h, Hit) and h.score == scores[h.paper_id] for h in got)


def test_hybrid_keyword_half_is_the_exact_keyword_ranking(sample_store: Store) -> None:
    """Without an embedder hybrid is its keyword half alone: checking exclusions on the
    best matches gives the order keyword mode gets from the index's own NOT."""
    query = QUERY + " -software -data -cases"
    exact = [h.paper_id for h in search_papers(sample_store, None, query, mode="keyword", limit=20)]
    hybrid = [h.paper_id for h in search_papers(sample_store, None, query, mode="hybrid", limit=20)]
    assert len(exact) == 20 and hybrid == exact
    plain = search_papers(sample_store, None, QUERY, mode="keyword", limit=100)
    assert [h.paper_id for h in plain][:20] != exact  # the exclusions removed some
    # Exclusions remove papers, they do not change the others' scores (PostgreSQL's
    # ts_rank counted a negated word as one of the query's).
    scores = {h.paper_id: h.score for h in plain}
    for hit in search_papers(sample_store, None, query, mode="keyword", limit=20):
        assert hit.score == pytest.approx(scores[hit.paper_id], rel=1e-6)
