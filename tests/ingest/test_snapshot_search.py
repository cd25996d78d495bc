"""A snapshot import leaves every paper keyword-searchable with no indexing backlog
(batches skip the index; the importer indexes them once at the end)."""

from __future__ import annotations

import json
from pathlib import Path

from paperwire.ingest.snapshot import import_snapshot
from paperwire.search.keyword import keyword_search
from paperwire.search.query import parse_query
from paperwire.store import Store


def test_imported_papers_are_searchable_and_leave_no_backlog(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "snap.jsonl"
    lines = [
        {
            "id": f"2101.{i:05d}",
            "title": f"Quokka population dynamics {i}" if i == 7 else f"Unrelated study {i}",
            "abstract": "We measure things.",
            "authors": "A. Author",
            "authors_parsed": [["Author", "A.", ""]],
            "categories": "q-bio.PE",
            "versions": [{"version": "v1", "created": "Mon, 4 Jan 2021 10:00:00 GMT"}],
            "update_date": "2021-01-05",
        }
        for i in range(1, 30)
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    report = import_snapshot(store, path, batch_size=10)
    assert report.counts.added == 29
    assert store.keyword_backlog() == 0
    hits = keyword_search(store, parse_query("quokka"), limit=5)
    assert [h.paper_id for h in hits] == ["2101.00007"]
