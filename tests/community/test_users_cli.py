"""`paperwire users …` on both backends, in process through typer's CliRunner with the
database named by the environment, as an operator runs it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from paperwire.cli import app
from paperwire.community import accounts
from paperwire.store import Store, open_store

Invoke = Callable[..., Result]


@pytest.fixture
def run(database_url: str, tmp_path: Path) -> Iterator[Invoke]:
    runner = CliRunner()
    env = {"PAPERWIRE_DATABASE_URL": database_url, "PAPERWIRE_DATA_DIR": str(tmp_path)}

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env)

    yield invoke


@pytest.fixture
def db(database_url: str) -> Iterator[Store]:
    store = open_store(database_url)
    try:
        yield store
    finally:
        store.close()


def test_add_promote_token_and_list(run: Invoke, db: Store) -> None:
    added = run("users", "add", "Mod@Example.org", "--name", "Mo Derator")
    assert added.exit_code == 0, added.output
    assert "added mod@example.org (user)" in added.output
    admin = run("users", "add", "root@example.org", "--role", "admin")
    assert admin.exit_code == 0
    promoted = run("users", "promote", "mod@example.org", "--role", "moderator")
    assert promoted.exit_code == 0 and "is now moderator" in promoted.output
    user = db.get_user_by_email("mod@example.org")
    assert user is not None and user.role == "moderator" and user.name == "Mo Derator"
    entries = db.audit_entries(limit=10)
    assert [(e.action, e.actor_id, e.detail) for e in entries] == [
        ("role", None, "user → moderator"),
        ("role", None, "created as admin"),
    ]

    token = run("users", "token", "mod@example.org")
    assert token.exit_code == 0
    printed = token.output.strip()
    assert printed.startswith("pw_")
    assert accounts.api_token_user(db, printed, now=datetime.now(UTC)) == user

    table = run("users", "list")
    assert table.exit_code == 0
    assert (
        "mod@example.org" in table.output
        and "moderator" in table.output
        and "root@example.org" in table.output
    )
    rows = json.loads(run("users", "list", "--json").output)
    assert [(r["email"], r["role"], r["name"]) for r in rows] == [
        ("mod@example.org", "moderator", "Mo Derator"),
        ("root@example.org", "admin", ""),
    ]


def test_mistakes_are_exit_2_with_a_message(run: Invoke) -> None:
    assert run("users", "list").output.strip() == "no accounts"
    assert run("users", "add", "a@example.org").exit_code == 0
    for args, message in [
        (("users", "add", "a@example.org"), "already has an account"),
        (("users", "add", "b@example.org", "--role", "owner"), "role: must be one of"),
        (("users", "add", "not-an-address"), "email: is not an email address"),
        (("users", "promote", "nobody@example.org", "--role", "admin"), "no account for"),
        (("users", "promote", "a@example.org", "--role", "king"), "role: must be one of"),
        (("users", "token", "nobody@example.org"), "no account for"),
    ]:
        result = run(*args)
        assert result.exit_code == 2, args
        assert message in result.output, (args, result.output)
