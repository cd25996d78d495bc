"""A real HTTP server on loopback that replays recorded responses.

Routes map a path (optionally with its exact query string) to a queue of responses;
each request takes the next one (the last repeats). Every request is recorded so a
test can check what a client sent and when. ``delay`` makes a response slow, to test
timeouts; ``drop`` closes the connection without any answer (a server or network
failure mid-harvest); ``trickle`` sends the body one byte at a time, that many seconds
apart (a server that would hold a client by per-read timeouts); ``send_length=False``
leaves out ``Content-Length`` (the body ends when the connection closes), so a client
cannot refuse a large body before reading it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/atom+xml; charset=utf-8"
    drop: bool = False
    trickle: float = 0.0
    send_length: bool = True


@dataclass
class Seen:
    path: str
    query: str
    at: float
    headers: dict[str, str]


class ReplayServer:
    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, path_and_query: str, *replies: Reply) -> None:
        """``/api/query`` matches any query; ``/api/query?x=1`` only that exact query."""
        self.routes.setdefault(path_and_query, []).extend(replies)

    def _next(self, path: str, query: str) -> Reply | None:
        with self._lock:
            for key in (f"{path}?{query}", path):
                queue = self.routes.get(key)
                if queue:
                    return queue.pop(0) if len(queue) > 1 else queue[0]
        return None

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's name
                parts = urlsplit(self.path)
                with server._lock:
                    server.requests.append(
                        Seen(parts.path, parts.query, time.monotonic(), dict(self.headers.items()))
                    )
                reply = server._next(parts.path, parts.query)
                if reply is None:
                    reply = Reply(404, b"no recording for this request", content_type="text/plain")
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    if reply.send_length:
                        self.send_header("Content-Length", str(len(body)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    if reply.trickle:
                        for i in range(len(body)):
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(reply.trickle)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


@contextmanager
def replay_server() -> Iterator[ReplayServer]:
    server = ReplayServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
