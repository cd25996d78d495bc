"""The judging pool of the harder dev set: what was read to judge each query.

For every query of ``tests/data/search_dev/harder.json`` it gathers the union of
- the top ``--depth`` (default 15) of each ranker ``bench/search_quality.py --set
  harder`` measures (paperwire keyword, semantic, hybrid; BM25; MiniLM fp32; RRF),
- the target paper's 10 nearest papers by MiniLM fp32 cosine (papers about the same
  idea that the query's wording misses),
- for MEDLINE targets, the 8 papers sharing most MeSH headings with it (Jaccard over
  the headings, check tags such as Humans left out),

and writes them with the methods that found each one to ``bench/out/search_quality/
pool.json``, and a reading list (title and abstract of each) beside it (``pool.txt``). The judgments
in harder.json were made by reading that list; each query's ``judged`` field keeps the
pool it was judged from. After a ranker changes, ``--unjudged`` lists only the pooled
papers a query's ``judged`` does not hold yet: judge those, add them to ``judged`` (and
to ``relevant`` where they are), so the figures do not undercount the new ranker.

Run: ``PYTHONPATH=src python bench/harder_pool.py [--medline PATH] [--depth 15] [--unjudged]
[--postgres URL] [--dev QUERIES.json] [--out STEM]`` (``--dev`` pools queries written
since, in harder.json's format, before they join it).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from harder_corpus import CHECK_TAGS, OUT
from quality_baselines import CachingEmbedder
from search_quality import HARDER, harder_rankers, harder_store

from paperwire.config import Settings
from paperwire.search.embed_sentence import SentenceEmbedder
from paperwire.search.embedders import build_embedder

SHORT = {
    "paperwire keyword": "pw-keyword",
    "paperwire semantic": "pw-semantic",
    "paperwire hybrid (default)": "pw-hybrid",
    "BM25 k1=0.9 b=0.4, title x2 + abstract": "bm25",
    "MiniLM-L6 fp32 sentence-transformers": "minilm-fp32",
    "RRF k=60 of BM25 + MiniLM fp32": "rrf",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medline", type=Path)
    parser.add_argument("--depth", type=int, default=15)
    parser.add_argument("--data-dir", type=Path, default=Path("./data"))
    parser.add_argument("--unjudged", action="store_true", help="list only papers not judged yet")
    parser.add_argument("--postgres", help="pool PostgreSQL's rankings: an empty database URL")
    parser.add_argument("--dev", type=Path, default=HARDER,
                        help="queries to pool (harder.json's format; new queries before they join it)")
    parser.add_argument("--out", default="", help="file stem of the pool and reading list (default pool)")
    args = parser.parse_args()
    cache = OUT / "embeddings"
    embedder = CachingEmbedder(build_embedder(Settings(embedder="onnx", data_dir=args.data_dir)), cache)
    baseline = CachingEmbedder(SentenceEmbedder(), cache)
    data = json.loads(args.dev.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        store = harder_store(args.postgres or f"sqlite:///{tmp}/pool.db", args.medline)
        rankers = harder_rankers(store, embedder, baseline, limit=args.depth)
        papers = {p.id: p for p in store.get_papers([p.id for p in store.latest_papers(limit=100_000)])}
        ids = sorted(papers)
        from paperwire.search.index import paper_text

        matrix = baseline.embed([paper_text(papers[i].title, papers[i].abstract) for i in ids])
        pool: dict[str, dict[str, list[str]]] = {}
        for q in data["queries"]:
            found: dict[str, list[str]] = {}
            for name, rank in rankers.items():
                for hit in rank(q["query"]):
                    found.setdefault(hit.paper_id, []).append(SHORT[name])
            target = q["target"]
            row = ids.index(target)
            near = np.argsort(-(matrix @ matrix[row]))[1:11]
            for i in near:
                found.setdefault(ids[i], []).append("target-neighbour")
            mesh = set(papers[target].mesh_terms) - CHECK_TAGS
            if mesh:
                scored = sorted(
                    ((len(mesh & set(p.mesh_terms)) / len(mesh | (set(p.mesh_terms) - CHECK_TAGS)), pid)
                     for pid, p in papers.items() if pid != target and mesh & set(p.mesh_terms)),
                    reverse=True,
                )[:8]
                for _, pid in scored:
                    found.setdefault(pid, []).append("mesh")
            found.setdefault(target, []).append("target")
            if args.unjudged:
                found = {pid: how for pid, how in found.items() if pid not in set(q.get("judged", []))}
            pool[q["id"]] = found
        embedder.save()
        baseline.save()
        OUT.mkdir(parents=True, exist_ok=True)
        stem = args.out or ("pool-unjudged" if args.unjudged else "pool")
        (OUT / f"{stem}.json").write_text(json.dumps(pool, indent=1), encoding="utf-8")
        with (OUT / f"{stem}.txt").open("w", encoding="utf-8") as out:
            for q in data["queries"]:
                out.write(f"\n=== {q['id']} | {q['query']}\n")
                for pid, how in pool[q["id"]].items():
                    p = papers[pid]
                    out.write(f"{pid} [{','.join(how)}] {p.title}\n    {p.abstract[:600]}\n")
        store.close()
    print(OUT / f"{stem}.json", sum(len(v) for v in pool.values()), "query-paper pairs")


if __name__ == "__main__":
    main()
