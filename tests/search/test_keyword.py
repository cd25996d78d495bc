"""Keyword search on both backends: field weights, phrases, exclusions, filters, order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperwire.errors import InvalidParameter
from paperwire.models import Author, Link, Paper, SearchFilters
from paperwire.search.keyword import keyword_search
from paperwire.store import Store


def paper(pid: str, title: str, abstract: str, *, authors: tuple[str, ...] = ("Ann Other",),
          categories: tuple[str, ...] = ("cs.LG",), day: date = date(2024, 1, 2),
          code: bool = False, source: str = "arxiv") -> Paper:
    links = [Link("code", f"https://github.com/x/{pid}")] if code else []
    return Paper(
        id=pid, title=title, abstract=abstract, authors=[Author(a) for a in authors],
        categories=list(categories), version=1 if source == "arxiv" else None,
        submitted=datetime(day.year, day.month, day.day, 9, tzinfo=UTC), links=links,
        source=source,  # type: ignore[arg-type]
    )


FILLER = "We report experiments on benchmark data and discuss limitations of the approach."


@pytest.fixture
def corpus(store: Store) -> Store:
    store.upsert_papers([
        paper("2401.00001", "Vexlar networks for graphs", FILLER, day=date(2024, 1, 1)),
        paper("2401.00002", "Message passing on graphs", FILLER, authors=("Mina Vexlar",),
              categories=("stat.ML",), day=date(2024, 2, 1), code=True),
        paper("2401.00003", "Graph learning at scale", FILLER + " A vexlar variant is used.",
              categories=("math.ST", "cs.LG"), day=date(2024, 3, 1)),
        paper("2401.00004", "Token pruning for vision transformers",
              "Dropping redundant tokens speeds up ViT inference.", day=date(2024, 4, 1), code=True),
        paper("2401.00005", "Pruning neural networks", "Weight pruning removes parameters.",
              authors=("Rosa Quill", "Mina Vexlar"), day=date(2024, 5, 1)),
        paper("pmid:123", "Zebrafish heart regeneration", "Cardiac tissue regrows in zebrafish.",
              authors=("Li Wei",), categories=(), day=date(2023, 6, 1), source="medline"),
    ])
    return store


def ids(hits: list) -> list[str]:
    return [h.paper_id for h in hits]


def test_title_outranks_authors_outranks_abstract(corpus: Store) -> None:
    hits = keyword_search(corpus, "vexlar")
    # title, then the two author matches, then the abstract mention
    assert ids(hits)[0] == "2401.00001"
    assert set(ids(hits)[1:3]) == {"2401.00002", "2401.00005"}
    assert ids(hits)[3:] == ["2401.00003"]
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))


def test_more_matching_words_rank_higher(corpus: Store) -> None:
    hits = keyword_search(corpus, "token pruning to speed up ViT inference")
    assert ids(hits)[0] == "2401.00004"
    assert "2401.00005" in ids(hits)  # "pruning" alone still matches


def test_stemming_matches_other_forms(corpus: Store) -> None:
    assert ids(keyword_search(corpus, "regenerating hearts")) == ["pmid:123"]


def test_quoted_phrase_is_required_and_negation_excludes(corpus: Store) -> None:
    assert ids(keyword_search(corpus, '"message passing"')) == ["2401.00002"]
    assert ids(keyword_search(corpus, '"passing message"')) == []
    hits = ids(keyword_search(corpus, "pruning -vision"))
    assert hits == ["2401.00005"]
    assert set(ids(keyword_search(corpus, 'graphs -"message passing"'))) == {"2401.00001", "2401.00003"}
    # +word is required, plain words only rank
    assert ids(keyword_search(corpus, "+scale graphs"))[0] == "2401.00003"
    assert set(ids(keyword_search(corpus, "+scale graphs"))) == {"2401.00003"}


def test_prefix_search(corpus: Store) -> None:
    assert set(ids(keyword_search(corpus, "zebra*"))) == {"pmid:123"}
    assert set(ids(keyword_search(corpus, "prun*"))) == {"2401.00004", "2401.00005"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(categories=("stat.ML",)), {"2401.00002"}),
        (SearchFilters(categories=("math",)), {"2401.00003"}),  # an archive matches its categories
        (SearchFilters(categories=("cs.LG",)), {"2401.00001", "2401.00003", "2401.00005"}),
        (SearchFilters(date_from=date(2024, 2, 1), date_until=date(2024, 3, 1)),
         {"2401.00002", "2401.00003"}),
        (SearchFilters(has_code=True), {"2401.00002"}),
        (SearchFilters(has_code=False), {"2401.00001", "2401.00003", "2401.00005"}),
        (SearchFilters(author="mina  VEXLAR"), {"2401.00002", "2401.00005"}),
        (SearchFilters(author="Vexlar"), {"2401.00002", "2401.00005"}),  # family name
        (SearchFilters(author="exlar"), set()),
        (SearchFilters(source="medline"), set()),
    ],
)
def test_filters_apply_before_ranking(corpus: Store, filters: SearchFilters, expected: set[str]) -> None:
    assert set(ids(keyword_search(corpus, "vexlar", filters=filters, limit=1))) <= expected
    assert set(ids(keyword_search(corpus, "vexlar", filters=filters, limit=50))) == expected


def test_filter_limit_one_still_finds_the_only_match(corpus: Store) -> None:
    # the best match overall is filtered out before ranking, not after the limit
    hits = keyword_search(corpus, "vexlar", filters=SearchFilters(has_code=True), limit=1)
    assert ids(hits) == ["2401.00002"]


def test_sort_by_date_lists_every_match_newest_first(corpus: Store) -> None:
    hits = keyword_search(corpus, "vexlar", sort="date")
    assert ids(hits) == ["2401.00005", "2401.00003", "2401.00002", "2401.00001"]


def test_limit_and_empty_queries(corpus: Store) -> None:
    assert len(keyword_search(corpus, "vexlar", limit=2)) == 2
    assert keyword_search(corpus, "vexlar", limit=0) == []
    assert keyword_search(corpus, "!!! ??? ((( )))") == []
    assert keyword_search(corpus, "-vexlar") == []
    with pytest.raises(InvalidParameter, match="empty"):
        keyword_search(corpus, "   ")


def test_common_words_alone_match_nothing_on_both_backends(corpus: Store) -> None:
    assert keyword_search(corpus, "on the") == []
    assert ids(keyword_search(corpus, "passing on graphs"))[0] == "2401.00002"


def test_index_follows_updates(corpus: Store) -> None:
    changed = paper("2401.00001", "Quasar embeddings", FILLER, day=date(2024, 1, 1))
    changed.version = 2
    corpus.upsert_papers([changed])
    assert "2401.00001" not in ids(keyword_search(corpus, "vexlar"))
    assert ids(keyword_search(corpus, "quasar")) == ["2401.00001"]
    corpus.upsert_papers([changed])  # unchanged: nothing re-indexed, still found once
    assert ids(keyword_search(corpus, "quasar")) == ["2401.00001"]
    assert corpus.keyword_backlog() == 0
