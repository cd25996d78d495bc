"""What keeping the keyword index costs bulk ingestion on SQLite.

Imports the same synthetic papers (abstract-length text drawn from the words of the
bundled sample, so term frequencies are realistic) into fresh SQLite databases, three
ways, in one run so the machine's noise hits all of them alike:

- ``no index``: the FTS5 table and its triggers dropped (the floor);
- ``triggers``: what paperwire ships (migration 0003: triggers on ``papers``);
- ``write path``: triggers dropped, the index maintained by set-based statements run by
  the store in the same transaction (delete the old rows' entries, upsert, insert).

Run: ``PYTHONPATH=src python bench/keyword_ingest.py [--papers 40000] [--batch 5000]``
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from paperwire.models import Author, Paper, UpsertCounts
from paperwire.store import open_store, upgrade_database
from paperwire.store.sqlite import SqliteStore

_AUTHORS_SQL = "(SELECT group_concat(j.value ->> 'name', ' ') FROM json_each(p.authors) AS j)"


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


class WritePathStore(SqliteStore):
    """Index maintained by statements in the write path instead of triggers."""

    def upsert_papers(self, papers: Iterable[Paper]) -> UpsertCounts:
        batch = list(papers)
        ids = [p.id for p in batch]
        with self._writing() as db:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                marks = ", ".join("?" * len(part))
                db.execute(
                    "INSERT INTO papers_fts (papers_fts, rowid, title, authors, abstract) "
                    f"SELECT 'delete', p.rowid, p.title, {_AUTHORS_SQL}, p.abstract "
                    f"FROM papers p WHERE p.id IN ({marks})",
                    part,
                )
            counts = super().upsert_papers(batch)
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                marks = ", ".join("?" * len(part))
                db.execute(
                    "INSERT INTO papers_fts (rowid, title, authors, abstract) "
                    f"SELECT p.rowid, p.title, {_AUTHORS_SQL}, p.abstract "
                    f"FROM papers p WHERE p.id IN ({marks})",
                    part,
                )
        return counts


def drop_triggers(store: SqliteStore, *, drop_table: bool) -> None:
    with store._writing() as db:
        for name in ("insert", "update", "delete"):
            db.execute(f"DROP TRIGGER papers_fts_after_{name}")
        if drop_table:
            db.execute("DROP TABLE papers_fts")


def run_variant(name: str, papers: list[Paper], updates: list[Paper], batch: int, tmp: Path) -> tuple[float, float]:
    url = f"sqlite:///{tmp / (name.replace(' ', '_') + '.db')}"
    upgrade_database(url)
    cls = WritePathStore if name == "write path" else SqliteStore
    store = cls.from_url(url)
    if name == "no index":
        drop_triggers(store, drop_table=True)
    elif name == "write path":
        drop_triggers(store, drop_table=False)
    rates = []
    for todo in (papers, updates):
        t0 = time.perf_counter()
        for start in range(0, len(todo), batch):
            store.upsert_papers(todo[start : start + batch])
        rates.append(len(todo) / (time.perf_counter() - t0))
    store.close()
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=40_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    words = sample_words()
    papers = synthetic_papers(args.papers, words)
    updates = synthetic_papers(args.papers // 4, words, seed=8, salt=" revised")
    print(f"{args.papers} new papers, then {len(updates)} changed, batches of {args.batch}")
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        for r in range(args.rounds):
            for name in ("no index", "triggers", "write path"):
                sub = Path(tmpdir) / f"r{r}"
                sub.mkdir(exist_ok=True)
                results.setdefault(name, []).append(run_variant(name, papers, updates, args.batch, sub))
    base_new = max(r[0] for r in results["no index"])
    print(f"{'variant':<12} {'new papers/s':>13} {'vs no index':>12} {'changed/s':>10}")
    for name, runs in results.items():
        new, changed = max(r[0] for r in runs), max(r[1] for r in runs)
        print(f"{name:<12} {new:>13,.0f} {new / base_new:>11.0%} {changed:>10,.0f}")


if __name__ == "__main__":
    main()
