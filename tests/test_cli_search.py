"""``paperwire search`` end to end in a subprocess, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

from paperwire.ingest.sample import load_sample
from paperwire.store import open_store
from tests.test_cli import run


def test_search_prints_the_api_json(database_url: str) -> None:
    store = open_store(database_url)
    load_sample(store)
    store.close()
    env_url = database_url
    out = run(["search", "flaky tests", "--mode", "keyword", "--limit", "3", "--json"], env_url)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["query"] == "flaky tests" and body["mode"] == "keyword"
    assert len(body["results"]) == 3 and "flak" in body["results"][0]["title"].lower()
    text = run(["search", "group testing", "--mode", "keyword", "-c", "cs.IT", "-n", "2"], env_url)
    assert text.returncode == 0 and "Group Testing" in text.stdout
    assert "  2. " in text.stdout and "  3. " not in text.stdout and "cs.IT" in text.stdout
    bad = run(["search", "x", "--mode", "keyword", "--from", "soon"], env_url)
    assert bad.returncode == 2 and "from: expected a date" in bad.stderr
    hostile = run(["search", "\"(NEAR ^ $\\alpha$", "--mode", "keyword", "--json"], env_url)
    assert hostile.returncode == 0 and json.loads(hostile.stdout)["results"] is not None


def test_the_cli_reads_days_in_the_sites_one_grammar(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    # date.fromisoformat would take 20240305 and 2024-W10-2; the site's parser does not.
    for value in ("20240305", "2024-W10-2"):
        bad = run(["ingest", "oai", "--set", "cs", "--from", value], url)
        assert bad.returncode == 2 and "expected a day as YYYY-MM-DD" in bad.stderr, bad.stderr
        search = run(["search", "x", "--mode", "keyword", "--until", value], url)
        assert search.returncode == 2 and "until: expected a date like" in search.stderr
