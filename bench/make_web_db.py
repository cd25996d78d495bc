"""Fill a SQLite database with N synthetic papers for the web load benchmark.

Papers spread over the weekdays ending at a fixed Friday, 20 categories, a pool of
authors, a code link on every third; written through the real Store in batches.
Usage: python bench/make_web_db.py DATABASE_URL [N]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

from paperwire.models import Author, Link, Paper
from paperwire.store import open_store, upgrade_database

WORDS = (
    "sparse attention token pruning vision transformer diffusion model graph neural network "
    "contrastive learning reinforcement policy gradient language model retrieval augmented "
    "generation quantum error correction bayesian inference kernel method optimal transport "
    "federated privacy robustness adversarial benchmark dataset scaling law mixture experts"
).split()
CATEGORIES = [
    "cs.LG", "cs.CV", "cs.CL", "cs.AI", "stat.ML", "cs.RO", "cs.CR", "cs.IR", "math.OC",
    "quant-ph", "eess.IV", "cs.NE", "physics.comp-ph", "math.ST", "cs.DC", "cs.SE",
    "q-bio.NC", "econ.EM", "astro-ph.IM", "cond-mat.dis-nn",
]
NEWEST = date(2026, 11, 20)  # a Friday


def weekdays(count: int) -> list[date]:
    days: list[date] = []
    day = NEWEST
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days


def synthetic_papers(n: int, *, seed: int = 7) -> list[Paper]:
    rng = random.Random(seed)
    days = weekdays(max(1, n // 1250))
    authors = [f"{rng.choice(['Ada', 'Alan', 'Grace', 'Claude', 'Emmy', 'Kurt'])} Researcher{i}" for i in range(5000)]
    papers = []
    for i in range(n):
        day = days[i % len(days)]
        cats = rng.sample(CATEGORIES, k=rng.randint(1, 3))
        papers.append(
            Paper(
                id=f"{day.strftime('%y%m')}.{i:05d}",
                title=" ".join(rng.choices(WORDS, k=rng.randint(6, 12))).capitalize(),
                abstract=" ".join(rng.choices(WORDS, k=rng.randint(120, 200))).capitalize() + ".",
                authors=[Author(a) for a in rng.sample(authors, k=rng.randint(1, 6))],
                categories=cats,
                version=1,
                submitted=datetime.combine(day - timedelta(days=1), datetime.min.time(), UTC),
                announced=day,
                announce_type="new",
                links=[Link("code", f"https://github.com/example/repo{i}")] if i % 3 == 0 else [],
            )
        )
    return papers


def main() -> None:
    url = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    upgrade_database(url)
    store = open_store(url)
    started = time.perf_counter()
    papers = synthetic_papers(n)
    for start in range(0, n, 5000):
        store.upsert_papers(papers[start : start + 5000])
    store.close()
    print(f"wrote {n} papers in {time.perf_counter() - started:.1f}s to {url}")


if __name__ == "__main__":
    main()
