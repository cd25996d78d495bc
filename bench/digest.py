"""Daily digests for 10,000 subscribers with personal sections, composed and delivered
to a local SMTP server: the goal is the whole send in ≤ 60 s on the 2-core machine,
the SMTP server included.

Setup (not timed): a database of synthetic papers (``make_web_db.synthetic_papers``:
1,250 papers a weekday, 20 categories, 5,000 authors), each title given two of 60
topic words (that generator draws every text from 40 words, so any two of them are in
nearly every paper, which no real saved search is: a pair of topic words is in about
one paper in 900, a few a day), and N confirmed subscribers, each with trending
(most), one to three categories, one saved search (a pair of topic words, both
required, as a date-sorted search) and one followed author drawn from the newest
day's authors, some with an excluded word. An aiosmtpd server runs in a process of its own
and counts what it accepts.

Timed: one ``digest_job`` of the newest day, exactly what ``paperwire digest send``
runs (plan the outbox, then claim, compose, render, send and record every row through
one SMTP connection per sender process: ``--workers``, default as the command's, one per
CPU up to 4). Printed: the total, the split — composing (candidates, compose,
render, the message), sending (the SMTP exchanges) and the rest (the outbox's reads and
writes) — and the server's count.

With ``--senders 2`` two sends run at once on the same outbox (as two ``paperwire
digest send`` would): the claims give each row to one.

Usage: PYTHONPATH=src python bench/digest.py [--subscribers 10000] [--papers 6250]
       [--senders 1] [--workers N] [--database-url URL]
       (default: a SQLite file in a temp dir)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as day_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_web_db import CATEGORIES, NEWEST, WORDS, synthetic_papers

from paperwire.config import Settings
from paperwire.digest.send import default_workers, digest_job
from paperwire.models import SubscriptionPrefs
from paperwire.store import Store, open_store, upgrade_database

HOST = "127.0.0.1"
TOPICS = [f"topic{i:02d}" for i in range(60)]


def serve(port: int) -> None:
    """The SMTP server process: accept every message, count them, print the count and
    the bytes received when stopped (SIGTERM)."""
    from aiosmtpd.controller import Controller

    class Counting:
        messages = 0
        size = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            Counting.messages += 1
            Counting.size += len(envelope.content)
            return "250 OK"

    controller = Controller(Counting(), hostname=HOST, port=port)
    controller.start()
    print("ready", flush=True)
    stopped = asyncio.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    while not stopped.is_set():
        time.sleep(0.05)
    controller.stop()
    cpu = time.process_time()
    print(f"{Counting.messages} {Counting.size} {cpu:.2f}", flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def subscribers(store: Store, n: int, *, authors: list[str], seed: int = 11) -> None:
    rng = random.Random(seed)
    words = sorted(set(WORDS))
    now = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(n):
        prefs = SubscriptionPrefs(
            frequency="daily",
            trending=rng.random() < 0.8,
            categories=tuple(rng.sample(CATEGORIES, k=rng.randint(1, 3))),
            queries=(" ".join(rng.sample(TOPICS, k=2)),),
            authors=(rng.choice(authors),),
            exclude=(rng.choice(words),) if rng.random() < 0.1 else (),
        )
        store.save_subscription(f"reader{i:05d}@example.org", prefs, now=now, confirmed=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=6_250)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--senders", type=int, default=1, help="sends at once")
    parser.add_argument(
        "--workers", type=int, default=0, help="sender processes of each send (0: its default)"
    )
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--send", default="", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--folder", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.send:
        send(args.send, args.port, Path(args.folder), args.workers)
        return

    folder = Path(tempfile.mkdtemp(prefix="paperwire-digest-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'digest.db'}"
    upgrade_database(url)
    store = open_store(url)
    started = time.perf_counter()
    papers = synthetic_papers(args.papers)
    rng = random.Random(5)
    for paper in papers:
        paper.title = f"{paper.title} {' '.join(rng.sample(TOPICS, k=2))}"
    for start in range(0, len(papers), 2000):
        store.upsert_papers(papers[start : start + 2000])
    newest = [p for p in papers if p.announced == NEWEST]
    authors = sorted({a.name for p in newest for a in p.authors})
    subscribers(store, args.subscribers, authors=authors)
    print(
        f"setup: {len(papers)} papers ({len(newest)} on {NEWEST}), {args.subscribers} "
        f"subscribers, {time.perf_counter() - started:.1f} s ({store.dialect})"
    )

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"
    try:
        started = time.perf_counter()
        # Every sender is a process running send_digests, as `paperwire digest send`
        # does; the outbox's claims give each row to one of them.
        senders = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--send",
                    url,
                    "--port",
                    str(port),
                    "--folder",
                    str(folder),
                    "--workers",
                    str(args.workers),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(args.senders)
        ]
        results = [
            json.loads(p.communicate(timeout=1800)[0].strip().splitlines()[-1]) for p in senders
        ]
        total = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        *counts, server_cpu_text = server.communicate(timeout=60)[0].split()[-3:]
        received, size = (int(v) for v in counts)
        server_cpu = float(server_cpu_text)
        store.close()
    sent = sum(r["sent"] for r in results)
    print(
        f"period {results[0]['period']}: sent {sent}, skipped "
        f"{sum(r['skipped'] for r in results)}, failed {sum(r['failed'] for r in results)}, "
        f"errors {[e for r in results for e in r['errors']]}; the server accepted {received} "
        f"messages, {size / max(1, received) / 1024:.1f} KiB each"
    )
    print(f"total {total:.1f} s with {args.senders} send(s) ({sent / total:.0f} digests/s)")
    for number, r in enumerate(results, start=1):
        print(
            f"  send {number}: {r['workers']} sender process(es), {r['seconds']:.1f} s; summed "
            f"over its processes: composing (candidates, compose, render, message) "
            f"{r['compose_seconds']:.1f} s; SMTP exchanges {r['send_seconds']:.1f} s (on the "
            f"courier threads, overlapping composing); CPU {r['cpu']:.1f} s"
        )
    print(
        f"CPU: SMTP server {server_cpu:.1f} s; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min)"
    )


def bench_settings(url: str, folder: Path, port: int) -> Settings:
    return Settings(
        database_url=url,
        data_dir=folder / "data",
        base_url="https://papers.example.org",
        mail_from="paperwire <digest@papers.example.org>",
        secret_key="b" * 40,
        smtp_host=HOST,
        smtp_port=port,
        smtp_security="none",
    )


@dataclass(frozen=True)
class FixedClock:
    """The send's clock, a moment of the digest's day (picklable: helpers get it too)."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


def send(url: str, port: int, folder: Path, workers: int) -> None:
    """One send: the timed ``digest_job``, its figures as JSON on stdout."""
    settings = bench_settings(url, folder, port)
    store = open_store(url)
    workers = workers or default_workers(settings)
    moment = datetime.combine(NEWEST, day_time(7, 0), tzinfo=UTC)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = digest_job(store, settings, "daily", clock=FixedClock(moment), workers=workers)
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {
        **result.as_dict(),
        "workers": workers,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu_started + helpers.ru_utime + helpers.ru_stime,
        "compose_seconds": result.compose_seconds,
        "send_seconds": result.send_seconds,
    }
    store.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
