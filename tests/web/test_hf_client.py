"""The Hugging Face Papers–compatible API, driven by the real ``huggingface_hub`` client
against a real server (uvicorn on loopback) holding the bundled sample."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from paperwire.ingest.sample import load_sample
from paperwire.models import Author, Link, Paper
from paperwire.search.embed import HashEmbedder
from paperwire.search.index import index_papers
from paperwire.store import Store
from tests.conftest import migrated_sqlite
from tests.live_server import live_server

HOSTILE_TITLE = '<script>alert("x")</script> & "quotes" \u00e9 $\\alpha$ \u2014 \\n end'
HOSTILE_ID = "2501.99999"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    def fill(store: Store) -> None:
        load_sample(store)
        store.upsert_papers([
            Paper(
                id=HOSTILE_ID,
                version=1,
                title=HOSTILE_TITLE,
                abstract="An abstract with </textarea><img src=x onerror=alert(1)> inside.",
                authors=[Author("Eve <b>Hacker</b>"), Author("Zoë Ångström")],
                categories=["cs.CR"],
                submitted=datetime(2025, 1, 20, 9, 0, tzinfo=UTC),
                links=[Link("code", "https://github.com/evil/repo")],
            )
        ])
        # The server embeds queries with the same cheap embedder (PAPERWIRE_EMBEDDER=hash).
        index_papers(store, HashEmbedder(), batch_size=64)

    return migrated_sqlite(tmp_path_factory.mktemp("hf"), fill=fill)


@pytest.fixture(scope="module")
def api(sample_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HfApi]:
    env = {"PAPERWIRE_EMBEDDER": "hash", "PAPERWIRE_DATA_DIR": str(tmp_path_factory.mktemp("data"))}
    with live_server(sample_db, extra_env=env) as base:
        yield HfApi(endpoint=f"{base}/hf", token=False)


def test_daily_papers_for_a_day(api: HfApi) -> None:
    papers = list(api.list_daily_papers(date="2025-01-20"))
    assert HOSTILE_ID in [p.id for p in papers]
    for p in papers:
        assert p.submitted_at is not None and p.submitted_at.date() == date(2025, 1, 20)


def test_daily_papers_default_is_the_newest_day(api: HfApi) -> None:
    newest = list(api.list_daily_papers())
    assert newest
    days = {p.submitted_at.date() for p in newest if p.submitted_at}
    assert len(days) == 1
    month_of_newest = next(iter(days)).strftime("%Y-%m")
    for p in api.list_daily_papers(month=month_of_newest, limit=100):
        assert p.submitted_at is not None and p.submitted_at.date() <= next(iter(days))


def test_daily_papers_for_a_week_and_a_month(api: HfApi) -> None:
    month = list(api.list_daily_papers(month="2025-01", limit=100))
    assert len(month) >= 5
    assert all(p.submitted_at and p.submitted_at.strftime("%Y-%m") == "2025-01" for p in month)
    week_of_hostile = "2025-W04"  # 2025-01-20 is the Monday of ISO week 4
    week = list(api.list_daily_papers(week=week_of_hostile, limit=100))
    assert HOSTILE_ID in [p.id for p in week]
    for p in week:
        assert p.submitted_at is not None
        assert p.submitted_at.isocalendar()[:2] == (2025, 4)
    assert {p.id for p in week} <= {p.id for p in month}


def test_paging_gives_disjoint_pages_covering_the_month(api: HfApi) -> None:
    whole = [p.id for p in api.list_daily_papers(month="2025-01", limit=100)]
    pages: list[list[str]] = []
    for page in range(0, 10):
        ids = [p.id for p in api.list_daily_papers(month="2025-01", limit=2, p=page)]
        if not ids:
            break
        assert len(ids) <= 2
        pages.append(ids)
    flat = [i for page in pages for i in page]
    assert len(flat) == len(set(flat)), "pages overlap"
    assert flat == whole


def test_paper_info_round_trips(api: HfApi) -> None:
    info = api.paper_info("2104.12255")
    assert info.id == "2104.12255"
    assert info.title == "0"
    assert [a.name for a in info.authors or []] == ["Quan Thoi Minh Nguyen"]
    assert info.summary and info.summary.startswith("What is the funniest number in cryptography?")
    assert info.published_at == datetime(2021, 4, 20, 16, 7, 14, tzinfo=UTC)
    assert info.comments == 0


def test_hostile_title_comes_back_byte_for_byte(api: HfApi) -> None:
    info = api.paper_info(HOSTILE_ID)
    assert info.title == HOSTILE_TITLE
    assert [a.name for a in info.authors or []] == ["Eve <b>Hacker</b>", "Zoë Ångström"]
    assert info.summary == "An abstract with </textarea><img src=x onerror=alert(1)> inside."
    assert info.github_repo == "https://github.com/evil/repo"
    daily = {p.id: p for p in api.list_daily_papers(date="2025-01-20")}
    assert daily[HOSTILE_ID].title == HOSTILE_TITLE
    assert daily[HOSTILE_ID].github_repo == "https://github.com/evil/repo"


def test_read_paper_returns_markdown(api: HfApi) -> None:
    text = api.read_paper("2104.12255")
    assert text.startswith("# 0\n")
    assert "Quan Thoi Minh Nguyen" in text and "## Abstract" in text
    assert "https://arxiv.org/abs/2104.12255" in text


def test_unknown_id_raises_404(api: HfApi) -> None:
    with pytest.raises(HfHubHTTPError) as info:
        api.paper_info("2101.99999")
    assert info.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError) as info:
        api.read_paper("2101.99999")
    assert info.value.response.status_code == 404


def test_search_finds_a_sample_paper_by_paraphrase(api: HfApi) -> None:
    # Paraphrase of 2104.12255 ("0": zero-value bugs in BLS signature libraries).
    results = list(api.list_papers(query="zero bugs in BLS signature libraries", limit=5))
    assert "2104.12255" in [p.id for p in results]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"date": "2025-13-01"}, "date"),
        ({"date": "yesterday"}, "date"),
        ({"week": "2025-W54"}, "week"),
        ({"week": "2025-14"}, "week"),
        ({"month": "2025-00"}, "month"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"p": -1}, "p"),
        ({"sort": "random"}, "sort"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    api: HfApi, params: dict[str, object], name: str
) -> None:
    with pytest.raises(HfHubHTTPError) as info:
        list(api.list_daily_papers(**params))  # type: ignore[arg-type]
    assert info.value.response.status_code == 400
    assert name in info.value.response.json()["error"]


def test_malformed_paper_id_is_400(api: HfApi) -> None:
    with pytest.raises(HfHubHTTPError) as info:
        api.paper_info("not-an-id")
    assert info.value.response.status_code == 400


def test_docs_example_is_runnable(api: HfApi) -> None:
    """docs/api.md's example, run against this server."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    start = doc.index("```python\n", doc.index("Using paperwire from huggingface_hub")) + len("```python\n")
    code = doc[start : doc.index("```", start)]
    code = code.replace("http://127.0.0.1:8000/hf", api.endpoint)
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)  # our own docs
