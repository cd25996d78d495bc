"""What RM3 (pseudo-relevance feedback on the keyword side) would cost paperwire's search.

1. Reach, on the harder dev set: the share of the corpus the expanded query matches (the
   query's words plus the expansion terms ``bench/search_levers.py`` picks: the best 20
   terms of the top 5 first-pass papers, document frequency 2 to 10 %).
2. Time, on the 1M-paper database ``bench/search.py --papers 1000000`` builds: FTS5
   ranking an expanded query (3 query words + 20 terms from the top 5 papers; the most
   common background words left out, as RM3's df limit does), and FTS5 scoring one word
   for 100 chosen rows (``MATCH … AND rowid IN (…)``), what a candidates-only RM3 needs.

Run: ``PYTHONPATH=src python bench/rm3_cost.py [--database bench/out/search-1000000-….db]``
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sqlite3
import statistics
import time
from pathlib import Path

import numpy as np
import search_levers as sl

from paperwire.search.quality import load_dev_set
from search import Corpus

RANK = "bm25(papers_fts, 4, 2, 1)"


def reach() -> None:
    dev = load_dev_set(sl.DEV_SET)
    meta = {q["id"]: q for q in json.loads(sl.DEV_SET.read_text(encoding="utf-8"))["queries"]}
    docs, _ = sl.load_corpus(None, dev)
    bench = sl.Bench(docs, dev, meta)
    cfg = sl.replace(sl.SHIPPED, rm3=(5, 20, 0.3))
    bench._doc_terms = sl.DocTerms(bench.fts)
    first_share, expanded_share = [], []
    for q in bench.queries:
        scores = bench.keyword_scores(q, cfg)
        first = bench.top(scores, 50, positive=True)
        first_share.append(float((scores > 0).mean()))
        if not first:
            continue
        top = first[:5]
        weights = np.maximum(scores[top], 0)
        weights = weights / weights.sum()
        model: collections.Counter[str] = collections.Counter()
        for d, weight in zip(top, weights, strict=True):
            terms = bench._doc_terms.terms[d]
            total = sum(terms.values())
            for t, n in terms.items():
                df = bench.fts.df[t]
                if t in bench.expansion_stop or t.isdigit() or df < 2 or df > 0.1 * bench.fts.n:
                    continue
                model[t] += weight * n / total
        hit = np.zeros(bench.fts.n, bool)
        for t in [t for t, _ in model.most_common(20)] + list(q.stems):
            hit |= bench.fts.contains(t)
        expanded_share.append(float(hit.mean()))
    print(f"dev set ({len(bench.queries)} queries, {bench.fts.n} papers): the first pass matches a median "
          f"{statistics.median(first_share):.1%} of the corpus; the RM3-expanded query "
          f"{statistics.median(expanded_share):.1%} (p90 {np.quantile(expanded_share, 0.9):.1%})")


def ms(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


def timing(path: Path, n_queries: int) -> None:
    db = sqlite3.connect(path)
    corpus = Corpus(1_000_000)
    common = set(corpus.background[:300])
    ranked = f"SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY {RANK} LIMIT 50"
    first_t, second_t, matches = [], [], []
    for text, _, _ in corpus.queries(n_queries):
        words = text.split()
        t0 = time.perf_counter()
        top = [r[0] for r in db.execute(ranked, (" OR ".join(f'"{w}"' for w in words),))]
        first_t.append(time.perf_counter() - t0)
        counts: collections.Counter[str] = collections.Counter()
        for title, abstract in db.execute("SELECT title, abstract FROM papers WHERE rowid IN (?,?,?,?,?)",
                                          (top + [0] * 5)[:5]):
            counts.update(w for w in f"{title} {abstract}".lower().split() if w not in words and w not in common)
        expanded = " OR ".join(f'"{w}"' for w in words + [w for w, _ in counts.most_common(20)])
        t0 = time.perf_counter()
        db.execute(ranked, (expanded,)).fetchall()
        second_t.append(time.perf_counter() - t0)
        matches.append(db.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?", (expanded,)).fetchone()[0])
    print(f"1M papers, {n_queries} queries: first pass p50 / p95 {ms(first_t, .5):.1f} / {ms(first_t, .95):.1f} ms; "
          f"expanded query {ms(second_t, .5):.1f} / {ms(second_t, .95):.1f} ms "
          f"(median {statistics.median(matches):,.0f} matches)")
    everything = " OR ".join(f'"{w}"' for w in corpus.background[:23])
    t0 = time.perf_counter()
    db.execute(ranked, (everything,)).fetchall()
    print(f"  an expanded query of 23 common words (every paper matches): {(time.perf_counter() - t0) * 1000:.0f} ms")
    rows = random.Random(1).sample(range(1, 1_000_001), 100)
    marks = ",".join("?" * len(rows))
    for word in (corpus.background[0], corpus.background[10], corpus.background[300], corpus.topic_words[5][3]):
        df = db.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?", (f'"{word}"',)).fetchone()[0]
        t0 = time.perf_counter()
        db.execute(f"SELECT rowid, {RANK} FROM papers_fts WHERE papers_fts MATCH ? AND rowid IN ({marks})",
                   (f'"{word}"', *rows)).fetchall()
        print(f"  one word scored for 100 chosen rows: df {df:,}: {(time.perf_counter() - t0) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    found = sorted(Path("bench/out").glob("search-1000000-*.db"))
    parser.add_argument("--database", type=Path, default=found[0] if found else None)
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args()
    reach()
    if args.database:
        timing(args.database, args.queries)


if __name__ == "__main__":
    main()
