"""In-process tests of /search on SQLite and PostgreSQL (keyword index from the store,
HashEmbedder for the semantic half)."""

from __future__ import annotations

import re

import httpx

from tests.web.test_pages import assert_no_live_markup, assert_security_headers, card_ids, h1

DATED = {f"2611.{i * 10 + j + 1:05d}" for i in range(6) for j in range(3)}


def test_search_form_without_query(site_client: httpx.Client) -> None:
    r = site_client.get("/search")
    assert r.status_code == 200 and h1(r.text) == "Search papers"
    assert '<label class="search-box" for="s-q">' in r.text
    assert 'aria-current="page">Search</a>' in r.text


def test_search_finds_and_counts_categories(site_client: httpx.Client) -> None:
    r = site_client.get("/search", params={"q": "sparse attention", "mode": "keyword"})
    assert r.status_code == 200
    assert_security_headers(r)
    ids = card_ids(r.text)
    assert DATED <= set(ids)
    facets = dict(re.findall(r'title="[^"]*">([^<]+)</a> <span class="count">(\d+)</span>', r.text))
    assert int(facets["cs.LG"]) >= 18 and int(facets["cs.CV"]) >= 12 and int(facets["cs.CL"]) >= 6
    assert 'href="/feeds/search.atom?q=sparse+attention"' in r.text


def test_search_filters(site_client: httpx.Client) -> None:
    q = {"q": "sparse attention", "mode": "keyword"}
    cl = set(card_ids(site_client.get("/search", params={**q, "category": "cs.CL"}).text))
    assert cl & DATED == {i for i in DATED if int(i[-2:]) % 10 == 2}  # j == 1: cs.CL
    coded = set(card_ids(site_client.get("/search", params={**q, "code": "1"}).text))
    assert coded & DATED == {i for i in DATED if int(i[-2:]) % 10 == 1}  # j == 0: has code
    assert len(card_ids(site_client.get("/search", params={**q, "author": "Author 41"}).text)) == 1
    ids = card_ids(site_client.get("/search", params={**q, "from": "2026-11-19", "until": "2026-11-20"}).text)
    assert sorted(ids) == sorted(f"2611.{n:05d}" for n in (41, 42, 43, 51, 52, 53))


def test_search_hybrid_default(site_client: httpx.Client) -> None:
    r = site_client.get("/search", params={"q": "pruning tokens in vision transformers"})
    assert r.status_code == 200 and len(card_ids(r.text)) >= 1


def test_search_bad_input_is_shown_on_the_page(site_client: httpx.Client) -> None:
    r = site_client.get("/search", params={"q": "attention", "from": "not-a-day"})
    assert r.status_code == 400 and "We could not run this search" in r.text and "from" in r.text
    r = site_client.get("/search", params={"q": "attention", "mode": "psychic"})
    assert r.status_code == 400 and "mode" in r.text
    r = site_client.get("/search", params={"q": '"unbalanced <script>alert(1)</script> AND ( OR'})
    assert r.status_code in (200, 400)
    assert_no_live_markup(r.text)
    assert "<script>alert(1)</script>" not in r.text


def test_search_hostile_results_are_text(site_client: httpx.Client) -> None:
    r = site_client.get("/search", params={"q": "alert", "mode": "keyword"})
    assert "2611.00666" in card_ids(r.text)
    assert_no_live_markup(r.text)
