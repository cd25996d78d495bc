"""The reference documentation names everything a user can reach: every setting in
docs/configuration.md, every command in docs/cli.md, every route in docs/api.md.
A setting, command or route added without its documentation fails here.

Routes are matched as ``METHOD /path`` text in docs/api.md with every path
parameter written ``{}``: the app's ``/api/papers/{paper_id:path}`` (its
``path_format`` ``/api/papers/{paper_id}``) and the docs' ``/api/papers/{id}`` are
the same route. The path must end there (a space, ``?``, a backtick…), so
``GET /search`` is not found inside ``GET /search.atom`` nor ``GET /api/papers/{}``
inside ``GET /api/papers/{}/similar``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from fastapi.routing import iter_route_contexts

from paperwire.app import create_app
from paperwire.cli import app as cli_app
from paperwire.config import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def read_doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _settings() -> list[str]:
    return sorted(Settings.model_fields)


def settings_table() -> list[str]:
    """The rows of the first table in configuration.md. A table ends at the first line
    that is not a row, so a row written after a later paragraph renders as plain text
    and is not counted."""
    lines = read_doc("configuration.md").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


@pytest.mark.parametrize("name", _settings())
def test_setting_is_documented(name: str) -> None:
    variable = f"`PAPERWIRE_{name.upper()}`"
    assert any(row.startswith(f"| {variable} |") for row in settings_table())


def _commands(command: Any, prefix: str) -> Iterator[str]:
    # Typer builds on its own copy of click, so a group is known by its subcommands.
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, f"{prefix} {name}")


def _cli_commands() -> list[str]:
    root = typer.main.get_command(cli_app)
    return sorted(_commands(root, "paperwire"))[1:]  # the program itself is no command


def test_the_cli_walk_finds_commands() -> None:
    found = _cli_commands()
    assert {"paperwire db", "paperwire db upgrade", "paperwire ingest oai"} <= set(found)


@pytest.mark.parametrize("command", _cli_commands())
def test_cli_command_is_documented(command: str) -> None:
    # `paperwire db upgrade`, `paperwire index [--batch-size N]`: the command's words,
    # then the end of the code span or a space.
    assert re.search(rf"`{re.escape(command)}[ `]", read_doc("cli.md"))


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _routes(tmp_path: Path) -> list[str]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'docs.db'}", load_sample=False)
    app = create_app(settings)
    try:
        found = set()
        for route in iter_route_contexts(app.routes):
            endpoint = route.endpoint
            # FastAPI's own pages for the OpenAPI schema (/api/openapi.json, /api/docs
            # and Swagger's /docs/oauth2-redirect) describe the API rather than being
            # part of it; api.md points at them in its opening sentence.
            if endpoint is not None and endpoint.__module__.startswith("fastapi."):
                continue
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.add(f"{method} {_normalise(route.path_format)}")
        return sorted(found)
    finally:
        app.state.store.close()


def test_every_route_is_documented(tmp_path: Path) -> None:
    routes = _routes(tmp_path)
    assert {"GET /", "GET /api/papers/{}", "GET /hf/api/daily_papers"} <= set(routes)
    text = _normalise(read_doc("api.md"))
    missing = [
        route for route in routes if not re.search(rf"{re.escape(route)}(?![\w/.{{-])", text)
    ]
    assert missing == []


PACKAGE_DIR = Path(__file__).resolve().parent.parent / "src" / "paperwire"


def _modules() -> list[str]:
    """Module files under src/paperwire, as paths relative to it (`store/codec.py`):
    package `__init__.py` files and Alembic revisions are not modules with a job of
    their own."""
    found = []
    for path in PACKAGE_DIR.rglob("*.py"):
        relative = path.relative_to(PACKAGE_DIR).as_posix()
        if path.name == "__init__.py" or "/migrations/versions/" in f"/{relative}":
            continue
        found.append(relative)
    return sorted(found)


def named_modules(text: str) -> set[str]:
    """Modules architecture.md names: a path in backticks anywhere (`store/codec.py`),
    or a path relative to a package in backticks (`codec.py`, `migrations/env.py`) in a
    table row whose first cell names that package (`store/`)."""
    named = set(re.findall(r"`([\w/]+\.py)`", text))
    for line in text.splitlines():
        cells = line.split("|")
        if not line.startswith("|") or len(cells) < 3:
            continue
        packages = re.findall(r"`([\w/]+/)`", cells[1])
        for name in re.findall(r"`([\w/]+\.py)`", line):
            named.update(package + name for package in packages)
    return named


def test_the_module_walk_finds_modules() -> None:
    found = _modules()
    assert {"models.py", "store/codec.py", "store/migrations/env.py"} <= set(found)
    assert not any(m.endswith("__init__.py") or "/versions/" in m for m in found)


@pytest.mark.parametrize("module", _modules())
def test_module_is_in_the_architecture(module: str) -> None:
    assert module in named_modules(read_doc("architecture.md"))
