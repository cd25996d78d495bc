"""Start the real app with uvicorn in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(database_url: str, *, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Yield the base URL of a real server on ``database_url``; stop it afterwards.

    The server's output goes to a log file (a pipe nobody reads could fill and stall it);
    its path is in the error if the server does not come up."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PAPERWIRE_DATABASE_URL": database_url,
        "PAPERWIRE_LOAD_SAMPLE": "false",
        "PAPERWIRE_BASE_URL": base,  # the links it builds point back at this server
        # The checkout's sources first, whatever is installed in the venv.
        "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root), os.environ.get("PYTHONPATH", "")]),
        **(extra_env or {}),
    }
    log = tempfile.NamedTemporaryFile("w", prefix="paperwire-uvicorn-", suffix=".log", delete=False)
    proc = subprocess.Popen(  # our own server
        [sys.executable, "-m", "uvicorn", "--factory", "paperwire.app:app_from_env",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode} (log: {log.name})")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start within 60 s (log: {log.name})")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
