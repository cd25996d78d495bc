"""What keeping the keyword index costs ingestion on SQLite.

Imports the same synthetic papers (abstract-length text drawn from the words of the
bundled sample, so term frequencies are realistic) into fresh SQLite databases, four
ways, in one run so the machine's noise hits all of them alike:

- ``deferred``: ``upsert_papers(..., defer_index=True)``, nothing indexed (the floor,
  and what a bulk import does while it writes);
- ``in upsert``: the default: each ``upsert_papers`` transaction indexes its rows with
  one ``INSERT … SELECT`` (what paperwire ships);
- ``row trigger``: a per-row ``AFTER INSERT`` trigger instead (the alternative);
- ``refresh``: the deferred rows indexed afterwards by ``refresh_keyword_index()``.

Then a quarter of the papers are re-imported with changed text (the update trigger).

Run: ``PYTHONPATH=src python bench/keyword_ingest.py [--papers 20000] [--batch 5000]``
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from paperwire.models import Author, Paper
from paperwire.store import open_store, upgrade_database
from paperwire.store.factory import sqlite_path
from paperwire.store.sql import Db
from paperwire.store.sqlite import SqliteConnections
from paperwire.store.sqlite_dialect import SqliteDialect
from paperwire.store.sqlstore import SqlStore


def sample_words() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/s.db"
        upgrade_database(url)
        store = open_store(url)
        from paperwire.ingest.sample import load_sample

        load_sample(store)
        text = " ".join(p.title + " " + p.abstract for p in store.latest_papers(limit=1000))
        store.close()
    return re.findall(r"\w+", text)


def synthetic_papers(n: int, words: list[str], *, seed: int = 7, salt: str = "") -> list[Paper]:
    rng = random.Random(seed)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    papers = []
    for i in range(n):
        papers.append(
            Paper(
                id=f"{2001 + i // 99999:04d}.{i % 99999:05d}",
                version=1,
                title=" ".join(rng.choices(words, k=rng.randint(6, 14))) + salt,
                abstract=" ".join(rng.choices(words, k=rng.randint(120, 220))),
                authors=[Author(f"{rng.choice(words).title()} {rng.choice(words).title()}")
                         for _ in range(rng.randint(1, 6))],
                categories=rng.sample(["cs.LG", "cs.CL", "cs.CV", "stat.ML", "math.ST", "cs.SE"], 2),
                submitted=start + timedelta(minutes=i),
            )
        )
    return papers


_ROW_TRIGGER = (
    "CREATE TRIGGER bench_fts_after_insert AFTER INSERT ON papers BEGIN "
    "INSERT INTO papers_fts (rowid, title, authors, abstract) VALUES (new.rowid, new.title, "
    "(SELECT group_concat(j.value ->> 'name', ' ') FROM json_each(new.authors) AS j), "
    "new.abstract); END"
)


class RowTriggerDialect(SqliteDialect):
    """The index kept by a per-row trigger instead of the batched statement."""

    def index_written_papers(self, db: Db, *, count: int) -> None:
        db.execute(
            "UPDATE search_state SET value = (SELECT max(rowid) FROM papers) "
            "WHERE name = 'papers_fts_rowid'"
        )
        self._refresh_keyword(db, limit=0)  # re-index updated rows (queued by 0003's trigger)


def timed_import(store: SqlStore, papers: list[Paper], batch: int, *, defer: bool) -> float:
    t0 = time.perf_counter()
    for start in range(0, len(papers), batch):
        store.upsert_papers(papers[start : start + batch], defer_index=defer)
    return len(papers) / (time.perf_counter() - t0)


def run_variant(name: str, papers: list[Paper], updates: list[Paper], batch: int, tmp: Path) -> dict[str, float]:
    url = f"sqlite:///{tmp / (name.replace(' ', '_') + '.db')}"
    upgrade_database(url)
    connections = SqliteConnections(sqlite_path(url))
    dialect = (RowTriggerDialect if name == "row trigger" else SqliteDialect)(connections)
    store = SqlStore(connections, dialect)
    if name == "row trigger":
        with store._writing() as db:
            db.execute(_ROW_TRIGGER)
    out = {"new": timed_import(store, papers, batch, defer=name == "deferred")}
    if name == "deferred":
        t0 = time.perf_counter()
        store.refresh_keyword_index()
        out["refresh"] = len(papers) / (time.perf_counter() - t0)
    out["changed"] = timed_import(store, updates, batch, defer=name == "deferred")
    assert store.keyword_backlog() == (len(updates) if name == "deferred" else 0)
    store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    words = sample_words()
    papers = synthetic_papers(args.papers, words)
    updates = synthetic_papers(args.papers // 4, words, seed=8, salt=" revised")
    print(f"{args.papers} new papers, then {len(updates)} changed, batches of {args.batch}")
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        for r in range(args.rounds):
            sub = Path(tmpdir) / f"r{r}"
            sub.mkdir()
            for name in ("deferred", "in upsert", "row trigger"):
                results.setdefault(name, []).append(run_variant(name, papers, updates, args.batch, sub))
    best = {name: {k: max(run[k] for run in runs) for k in runs[0]} for name, runs in results.items()}
    floor = best["deferred"]["new"]
    print(f"{'variant':<28} {'papers/s':>10} {'vs deferred':>12}")
    for name in ("deferred", "in upsert", "row trigger"):
        rate = best[name]["new"]
        print(f"{name + ' (new papers)':<28} {rate:>10,.0f} {rate / floor:>11.0%}")
    print(f"{'refresh after deferred':<28} {best['deferred']['refresh']:>10,.0f}")
    for name in ("in upsert", "row trigger"):
        print(f"{name + ' (changed papers)':<28} {best[name]['changed']:>10,.0f}")


if __name__ == "__main__":
    main()
