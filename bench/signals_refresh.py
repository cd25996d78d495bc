"""A GitHub refresh where nothing changed: N repositories, each checked before (ETag
stored) and due again, against a local server that answers GitHub's way (304 when
``If-None-Match`` holds the repository's ETag, else the repository's JSON with it).

The run must send exactly N requests, every one conditional, and every answer must be
a 304 (the script fails otherwise); it prints requests per second through the real
job (``signals.github.refresh_github``: PoliteFetcher with no spacing, HttpxClient, a
store write per repository for its check time and the day's star snapshot), and then,
with ``--plan-papers``, the time to plan a run at that many papers
(``bench/signals_plan.py``).

Usage: python bench/signals_refresh.py [--repositories 10000] [--database-url URL]
       [--plan-papers 1000000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from paperwire.ingest.http import HttpxClient
from paperwire.ingest.polite import PoliteFetcher, Politeness
from paperwire.models import Link, Paper
from paperwire.signals.github import GithubApi, refresh_github
from paperwire.store import Store, open_store, upgrade_database

NOW = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def etag_of(name: str) -> str:
    return f'W/"{abs(hash(name)):x}"'


class GithubLike(ThreadingHTTPServer):
    """Counts requests, conditional ones, and the answers it gave; ``GET /__counts``
    tells them. Run in a process of its own, so it does not share the job's GIL."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.requests = 0
        self.conditional = 0
        self.not_modified = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as api.github.com
    server: GithubLike

    def do_GET(self) -> None:  # http.server's name
        if self.path == "/__counts":
            counts = json.dumps(
                [self.server.requests, self.server.conditional, self.server.not_modified]
            )
            self.send_response(200)
            self.send_header("Content-Length", str(len(counts)))
            self.end_headers()
            self.wfile.write(counts.encode())
            return
        name = self.path.removeprefix("/repos/")
        etag = etag_of(name.lower())
        sent = self.headers.get("If-None-Match")
        with self.server.lock:
            self.server.requests += 1
            self.server.conditional += sent is not None
            self.server.not_modified += sent == etag
        common = {
            "ETag": etag,
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4999",
            "X-RateLimit-Reset": "1890000000",
        }
        if sent == etag:
            self.send_response(304)
            body = b""
        else:
            self.send_response(200)
            owner, repo = name.split("/", 1)
            body = json.dumps(
                {
                    "full_name": name,
                    "html_url": f"https://github.com/{name}",
                    "stargazers_count": 10,
                    "forks_count": 1,
                    "open_issues_count": 0,
                    "archived": False,
                    "owner": {"login": owner},
                    "name": repo,
                }
            ).encode()
            common["Content-Type"] = "application/json; charset=utf-8"
        for key, value in common.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(ports: multiprocessing.Queue[int]) -> None:
    server = GithubLike()
    ports.put(server.server_address[1])
    server.serve_forever()


def prepare(store: Store, n: int) -> None:
    """N papers, each linking its own repository, every repository checked a day ago
    with its ETag and due now."""
    day = date(2026, 11, 20)
    papers = [
        Paper(
            id=f"2611.{i:05d}",
            title=f"Paper {i}",
            version=1,
            announced=day,
            links=[Link("code", f"https://github.com/owner{i % 500}/repo{i}")],
        )
        for i in range(n)
    ]
    for start in range(0, n, 2000):
        store.upsert_papers(papers[start : start + 2000])
    for repo in store.repositories_due(now=NOW, limit=n):
        name = repo.full_name
        store.save_repository(
            replace(
                repo,
                status="ok",
                current_name=name,
                stars=10,
                forks=1,
                open_issues=0,
                html_url=f"https://github.com/{name}",
                etag=etag_of(name),
                checked_at=NOW - timedelta(days=1),
                next_check_at=NOW - timedelta(minutes=1),
            ),
            day=(NOW - timedelta(days=1)).date(),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repositories", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--plan-papers", type=int, default=0)
    args = parser.parse_args()
    n = args.repositories
    folder = Path(tempfile.mkdtemp(prefix="paperwire-refresh-"))
    url = args.database_url or f"sqlite:///{folder / 'refresh.db'}"
    upgrade_database(url)
    store = open_store(url)
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=30)}"
    client = HttpxClient()
    try:
        started = time.perf_counter()
        prepare(store, n)
        print(
            f"{store.dialect}: {n:,} repositories prepared in {time.perf_counter() - started:.1f} s; "
            f"load {os.getloadavg()[0]:.1f}"
        )
        fetcher = PoliteFetcher(client, Politeness(delay=0, max_retries=0))
        api = GithubApi(fetcher, api_url=base)
        version = store.data_version().version
        started = time.perf_counter()
        report = refresh_github(store, api, limit=n, clock=lambda: NOW)
        seconds = time.perf_counter() - started
        assert report.ok, report.errors
        requests, conditional, not_modified = json.loads(client.get(base + "/__counts").body)
        assert requests == n, f"{requests} requests for {n} repositories"
        assert conditional == n and not_modified == n, (conditional, not_modified)
        assert report.not_modified == n and report.counts.unchanged == n, report.as_dict()
        assert store.data_version().version == version, (
            "a run that changed nothing bumped the version"
        )
        print(
            f"refresh: {requests:,} requests, {conditional:,} conditional, "
            f"{not_modified:,} answered 304, in {seconds:.2f} s: "
            f"{requests / seconds:,.0f} requests/s (store writes included)"
        )
        print(f"load after: {os.getloadavg()[0]:.1f}")
    finally:
        client.close()
        server.terminate()
        store.close()
    if args.plan_papers:
        import subprocess
        import sys

        subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("signals_plan.py")),
                "--papers",
                str(args.plan_papers),
                "--repeats",
                "30",
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
