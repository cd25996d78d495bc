"""The date-sort similarity floor (``DATE_SORT_MIN_SIMILARITY``) on the harder dev set:
per batch of queries, the share of judged-relevant papers whose cosine similarity to the
query reaches the floor (kept) and the share of the others below it (dropped).

The floor was chosen on the first batch; the second batch was written after, so its row
is the check on queries the choice never saw. Reads the vectors ``bench/search_levers.py``
caches (the packaged model, ONNX int8, title + abstract, in ``index_papers``' batches):
run that bench once first.

Run: ``PYTHONPATH=src python bench/date_floor.py``
"""

from __future__ import annotations

import json

import numpy as np
from search_levers import DEV_SET, OUT

from paperwire.search.query import parse_query
from paperwire.search.service import DATE_SORT_MIN_SIMILARITY

MODEL = "all-MiniLM-L6-v2-onnx-int8"


def main() -> None:
    corpus = max(OUT.glob("corpus-subjects-*.json"), key=lambda p: p.stat().st_mtime)
    ids = [d["id"] for d in json.loads(corpus.read_text(encoding="utf-8"))["docs"]]
    [matrix_path] = (OUT / "vectors").glob(f"{MODEL}-ta-b64-*.npy")
    matrix = np.load(matrix_path)
    with np.load(OUT / "vectors" / f"{MODEL}-queries.npz") as data:
        query_vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    queries = json.loads(DEV_SET.read_text(encoding="utf-8"))["queries"]
    floor = DATE_SORT_MIN_SIMILARITY
    print(f"floor {floor}: kept = similarity >= floor")
    for batch in sorted({q["batch"] for q in queries}):
        kept = {2: [], 1: []}
        dropped: dict[str, list[bool]] = {"judged": [], "other": []}
        for q in (q for q in queries if q["batch"] == batch):
            sims = matrix @ query_vectors[parse_query(q["query"]).text]
            judged = set(q["judged"])
            for pid, sim in zip(ids, sims.tolist(), strict=True):
                grade = q["relevant"].get(pid, 0)
                if grade:
                    kept[grade].append(sim >= floor)
                else:
                    dropped["judged" if pid in judged else "other"].append(sim < floor)
        print(f"batch {batch}: kept {np.mean(kept[2]):.1%} of grade 2 ({len(kept[2])}), "
              f"{np.mean(kept[1]):.1%} of grade 1 ({len(kept[1])}); dropped "
              f"{np.mean(dropped['judged']):.1%} of judged distractors, "
              f"{np.mean(dropped['other']):.2%} of the other papers")


if __name__ == "__main__":
    main()
