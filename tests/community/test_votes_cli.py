"""`paperwire users trust` on SQLite (the command is the domain's ``trust_voter``,
tested on both backends in test_votes_store.py): verify, take back, unknown address."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from paperwire.cli import app
from paperwire.store import open_store
from tests.community.votes_helpers import account


def test_users_trust(sqlite_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"PAPERWIRE_DATABASE_URL": sqlite_url, "PAPERWIRE_DATA_DIR": str(tmp_path)}
    store = open_store(sqlite_url)
    try:
        user = account(store, "new@example.org")
        done = runner.invoke(app, ["users", "trust", "New@Example.org"], env=env)
        assert done.exit_code == 0, done.output
        assert "new@example.org is verified" in done.output
        trusted = store.get_user(user.id)
        assert trusted is not None and trusted.trusted_at is not None
        undone = runner.invoke(app, ["users", "trust", "new@example.org", "--revoke"], env=env)
        assert undone.exit_code == 0 and "no longer verified" in undone.output
        again = store.get_user(user.id)
        assert again is not None and again.trusted_at is None
        assert [e.action for e in store.audit_entries(limit=5)][:2] == ["distrust", "trust"]
        missing = runner.invoke(app, ["users", "trust", "nobody@example.org"], env=env)
        assert missing.exit_code == 2 and "no account" in missing.output
    finally:
        store.close()
