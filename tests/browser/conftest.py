"""Real server + real Chromium: uvicorn serves a SQLite database holding the sample plus
the hostile and dated papers, on a free loopback port; Playwright drives Debian's
Chromium (never a downloaded browser).

Flows that write (the community, digests) get a server of their own on each backend
instead: ``live_site`` serves a fresh SQLite or PostgreSQL database (the ``backend``
fixture) and sends its mail to a real SMTP server on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from paperwire.store import Store
from tests.browser.axe import axe_violations, describe
from tests.conftest import BACKENDS, fresh_pg_database, migrated_sqlite

CHROMIUM = os.environ.get("PAPERWIRE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ROOT = Path(__file__).resolve().parent.parent.parent


def chromium_missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"chromium not found at {CHROMIUM} (install Debian's chromium: `make browser`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "python package playwright is not installed"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = chromium_missing()
    if reason is None:
        return
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def site_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    from paperwire.ingest.sample import load_sample
    from paperwire.search.embed import HashEmbedder
    from paperwire.search.index import index_papers
    from tests.web.site_papers import dated_papers, hostile_papers

    def fill(store: Store) -> None:
        load_sample(store)
        store.upsert_papers([*dated_papers(), *hostile_papers()])
        index_papers(store, HashEmbedder())  # similar papers and the semantic half of search

    return migrated_sqlite(tmp_path_factory.mktemp("browser"), fill=fill)


@pytest.fixture(scope="session")
def live_server(site_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:<port>``: the real app under uvicorn, in its own process."""
    from tests.live_server import live_server as serve

    env = {
        "PAPERWIRE_EMBEDDER": "hash",  # the database was indexed with HashEmbedder
        "PAPERWIRE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
    }
    with serve(site_database, extra_env=env) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class PageProblems:
    """What went wrong in a page that a person would not see: dialogs (alert() from a
    paper would open one), console errors and CSP violations, failed requests."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []


def new_page(browser: object, base_url: str, scheme: str) -> Iterator[object]:
    """A fresh page in ``scheme`` colours, watching for dialogs and errors; its
    browser context is closed when the test is done (``yield from`` it in a fixture)."""
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=base_url, color_scheme=scheme, viewport={"width": 1200, "height": 900}
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    pg = context.new_page()
    problems = PageProblems()

    def on_dialog(dialog: object) -> None:
        problems.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    pg.on("dialog", on_dialog)
    pg.on(
        "console", lambda m: problems.console_errors.append(m.text) if m.type == "error" else None
    )
    pg.on("pageerror", lambda e: problems.console_errors.append(str(e)))
    # A request cut short by the page navigating away (net::ERR_ABORTED) is not a fault.
    pg.on(
        "requestfailed",
        lambda r: (
            problems.failed_requests.append(f"{r.url} {r.failure}")
            if "ERR_ABORTED" not in (r.failure or "")
            else None
        ),
    )
    pg.problems = problems  # type: ignore[attr-defined]
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def page(browser: object, live_server: str) -> Iterator[object]:
    yield from new_page(browser, live_server, "light")


@pytest.fixture
def dark_page(browser: object, live_server: str) -> Iterator[object]:
    yield from new_page(browser, live_server, "dark")


def open_page(browser: object, base: str, scheme: str) -> tuple[Any, Any]:
    """A page in ``scheme`` colours and the generator that closes its context (for a
    test that drives several browsers at once)."""
    pages: Any = new_page(browser, base, scheme)
    page: Any = next(pages)
    page.scheme = scheme
    return pages, page


def check_axe(page: Any, what: str) -> None:
    """axe-core on the page as it is now, in light and then dark colours; the page
    goes back to its own scheme (``open_page``) afterwards."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
        violations = axe_violations(page)
        assert violations == [], f"{what} ({scheme}):\n{describe(violations)}"
    page.emulate_media(color_scheme=page.scheme)


# --- a server of its own, on each backend, with mail -------------------------------------


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass(frozen=True)
class LiveSite:
    """A real server on a fresh database, sending mail to ``mail``."""

    backend: str
    base: str
    database_url: str
    mail: Any  # tests.mail_server.MailServer
    env: dict[str, str]  # the server's settings besides its database and base URL

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``paperwire ARGS`` in a process of its own, with the server's settings, so
        what it writes and mails is what the server would."""
        env = {
            **os.environ,
            **self.env,
            "PAPERWIRE_DATABASE_URL": self.database_url,
            "PAPERWIRE_BASE_URL": self.base,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        }
        return subprocess.run(  # our own command
            [sys.executable, "-m", "paperwire.cli", *args],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip


def fresh_database(
    request: pytest.FixtureRequest, backend: str, folder: Path, fill: Callable[[Store], object]
) -> str:
    """A migrated database of ``backend`` of its own, filled by ``fill``."""
    if backend == "postgres":
        from paperwire.store import open_store

        url = fresh_pg_database(request.getfixturevalue("pg_server"))
        store = open_store(url)
        try:
            fill(store)
        finally:
            store.close()
        return url
    return migrated_sqlite(folder, fill=fill)


@contextmanager
def live_site(
    request: pytest.FixtureRequest,
    backend: str,
    folder: Path,
    *,
    fill: Callable[[Store], object],
    secret_key: str,
    extra_env: dict[str, str] | None = None,
) -> Iterator[LiveSite]:
    """A server (``tests.live_server``) on a fresh ``backend`` database filled by
    ``fill``, with plain SMTP to a loopback server started for it."""
    from tests.live_server import live_server
    from tests.mail_server import mail_server

    url = fresh_database(request, backend, folder, fill)
    with mail_server() as mail:
        env = {
            "PAPERWIRE_EMBEDDER": "hash",
            "PAPERWIRE_DATA_DIR": str(folder / "data"),
            "PAPERWIRE_SECRET_KEY": secret_key,
            "PAPERWIRE_SMTP_HOST": mail.host,
            "PAPERWIRE_SMTP_PORT": str(mail.port),
            "PAPERWIRE_SMTP_SECURITY": "none",
            **(extra_env or {}),
        }
        with live_server(url, extra_env=env) as base:
            yield LiveSite(backend, base, url, mail, env)
