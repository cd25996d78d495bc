"""Recorded GitHub exchanges (``tests/data/github``, PyGithub's ReplayData format) loaded
into the loopback replay server, each under its recorded path, answers in order."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from tests.replay import ReplayServer, Reply

GITHUB_DATA = Path(__file__).resolve().parent.parent / "data" / "github"
RECORDED_API = "https://api.github.com"
# Headers that described the recorded transfer, not the answer: the replay server
# sends the decoded body with its own length.
_TRANSFER = frozenset(
    {"content-length", "transfer-encoding", "content-encoding", "connection", "status"}
)


@dataclass(frozen=True)
class Exchange:
    path: str
    request_headers: dict[str, str]
    status: int
    headers: list[tuple[str, str]]
    body: str


def read_exchanges(name: str) -> list[Exchange]:
    """The exchanges of one recording: eleven lines each (the last one blank)."""
    lines = (GITHUB_DATA / name).read_text(encoding="utf-8").split("\n")
    out = []
    for start in range(0, len(lines) - 10, 11):
        block = lines[start : start + 11]
        out.append(
            Exchange(
                path=block[4],
                request_headers=ast.literal_eval(block[5]),
                status=int(block[7]),
                headers=[(k, v) for k, v in ast.literal_eval(block[8])],
                body=block[9],
            )
        )
    return out


def reply_for(exchange: Exchange, base_url: str) -> Reply:
    """The recorded answer as the replay server sends it; a ``Location`` on the
    recorded API points at the replay server instead."""
    headers: dict[str, str] = {}
    content_type = "application/json; charset=utf-8"
    for name, value in exchange.headers:
        lowered = name.lower()
        if lowered in _TRANSFER:
            continue
        if lowered == "content-type":
            content_type = value
            continue
        if lowered == "location":
            value = value.replace(RECORDED_API, base_url)
        headers[name] = value
    return Reply(exchange.status, exchange.body, headers=headers, content_type=content_type)


def load_github(server: ReplayServer, name: str, *, path: str | None = None) -> list[Exchange]:
    """Route the exchanges of one recording under their paths, in order; ``path``
    routes the first one elsewhere (GitHub reads names case-insensitively, the replay
    server does not)."""
    loaded = read_exchanges(name)
    for i, exchange in enumerate(loaded):
        where = path if path is not None and i == 0 else exchange.path
        server.add(where, reply_for(exchange, server.base_url))
    return loaded
