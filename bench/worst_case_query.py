"""Worst-case search latency against a plain query: a query carrying the most exclusions
the parser allows (``MAX_EXCLUSIONS``), in hybrid and semantic mode, on SQLite.

    python bench/worst_case_query.py --papers 100000 --queries 100

Reuses ``bench/search.py``'s synthetic corpus and cached database (bench/out/), its
bench embedder (query text → its topic's centre plus noise: no model cost, so the
figures are the store's work) and its HNSW file, as the web process would search.

Each query is three topic words. It is timed plain and with each exclusion set,
alternately, so both see the same machine state:

- ``common``: the 20 most frequent words of the corpus (Zipf ranks 1–20 of the
  background vocabulary: each is in nearly every paper, the longest posting lists);
- ``phrases``: 20 two-word phrases of the 40 most frequent words;
- ``topic``: 20 of the query topic's other words (they remove the nearest papers).

Prints p50/p95 per mode and set, and the ratio of p50s against the plain query (the
goal, for hybrid and semantic, is at most 3×). ``before``: the previous way, emulated
(the plain semantic query, then one keyword query per exclusion with LIMIT 5,000), for
scale. ``keyword`` mode, for information: it keeps its exclusions inside the one FTS5
query (exact over every match, as the search feed needs), so its cost follows the
number of matches times the exclusions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from paperwire.models import KeywordQuery  # noqa: E402
from paperwire.search.query import MAX_EXCLUSIONS  # noqa: E402
from paperwire.search.service import search_papers  # noqa: E402
from search import BenchEmbedder, Corpus, open_sqlite_bench  # noqa: E402

LIMIT = 10


def exclusion_sets(corpus: Corpus, topic: int, query: str) -> dict[str, list[str]]:
    common = corpus.background[: 2 * MAX_EXCLUSIONS]
    own = [w for w in corpus.topic_words[topic] if w not in query.split()]
    return {
        "common": ["-" + w for w in common[:MAX_EXCLUSIONS]],
        "phrases": [f'-"{a} {b}"' for a, b in zip(common[0::2], common[1::2], strict=True)],
        "topic": ["-" + w for w in own[:MAX_EXCLUSIONS]],
    }


def ms(samples: list[float]) -> dict[str, float]:
    values = sorted(s * 1000 for s in samples)
    return {
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(values[min(len(values) - 1, round(0.95 * (len(values) - 1)))], 2),
    }


def clock(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()

    corpus = Corpus(args.papers)
    store, vectors, built = open_sqlite_bench(corpus)
    embedder = BenchEmbedder(corpus)
    queries = corpus.queries(args.queries)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, {platform.python_version()}",
        "command": "python bench/worst_case_query.py " + " ".join(sys.argv[1:]),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "papers": corpus.n,
        "build": built.get("build"),
        "exclusions": MAX_EXCLUSIONS,
    }

    def run(mode: str, text: str) -> Any:
        return search_papers(store, embedder, text, mode=mode, limit=LIMIT, vectors=vectors)

    def before(words: list[str], text: str) -> None:
        run("semantic", text)
        for word in words:
            parts = tuple(word.strip('-"').split())
            store.keyword_ranking(KeywordQuery(required=(parts,)), limit=5000)

    for text, _vec, _topic in queries[:5]:  # warm the caches and the HNSW mapping
        for mode in ("hybrid", "semantic"):
            run(mode, text)
    times: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    for text, _vec, topic in queries:
        for mode in ("hybrid", "semantic", "keyword"):
            times.setdefault(f"{mode}/plain", []).append(clock(lambda m=mode, t=text: run(m, t)))
            counts.setdefault(f"{mode}/plain", []).append(len(run(mode, text)))
            for name, words in exclusion_sets(corpus, topic, text).items():
                worst = text + " " + " ".join(words)
                key = f"{mode}/{name}"
                times.setdefault(key, []).append(clock(lambda m=mode, q=worst: run(m, q)))
                counts.setdefault(key, []).append(len(run(mode, worst)))
                if mode == "semantic":
                    times.setdefault(f"before/{name}", []).append(
                        clock(lambda w=words, t=text: before(w, t))
                    )
    results: dict[str, Any] = {}
    for key, samples in times.items():
        entry = ms(samples)
        mode = "semantic" if key.startswith("before/") else key.split("/")[0]
        plain = statistics.median(times[f"{mode}/plain"])
        entry["ratio_p50"] = round(statistics.median(samples) / plain, 2)
        if key in counts:
            entry["mean_results"] = round(statistics.fmean(counts[key]), 1)
        results[key] = entry
    report["results"] = results
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    worst_ratio = max(
        v["ratio_p50"] for k, v in results.items() if k.split("/")[0] in ("hybrid", "semantic")
    )
    report["worst_ratio_p50"] = worst_ratio
    store.close()
    print(json.dumps(report, indent=2))
    print(f"\nworst case / plain (p50), hybrid and semantic: {worst_ratio}×  (goal ≤ 3×)")
    for key, entry in results.items():
        print(f"  {key:<18} p50 {entry['p50_ms']:>8} ms  p95 {entry['p95_ms']:>8} ms  "
              f"{entry['ratio_p50']:>6}×  results {entry.get('mean_results', '-')}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
