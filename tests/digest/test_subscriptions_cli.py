"""``paperwire subscribers import/list/unsubscribe`` end to end in a subprocess, on both
backends, with the confirmation mail read from a real SMTP server on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paperwire.models import SubscriptionPrefs
from paperwire.store import Store

GOOD_AND_BAD = """\
email,frequency,categories,queries,authors,exclude
alice@example.org,daily,cs.LG;stat.ML,"token pruning;diffusion, but fast",Ada Lovelace,survey
BOB@example.org,weekly,,,,
not-an-address,daily,cs.LG,,,
carol@example.org,hourly,,,,
dave@example.org,daily,cs.LG;no such category!,,,
erin@example.org,weekly,math,,"Grace Hopper;Alan Turing",
alice@example.org,weekly,,,,
"frank@example.org",daily,"hep-th",,,"a
multi-line cell"
gone@example.org,daily,,,,
"""


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperwire.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cli_env(database_url: str, tmp_path: Path, smtp_server: Any) -> dict[str, str]:
    return {
        "PAPERWIRE_DATABASE_URL": database_url,
        "PAPERWIRE_DATA_DIR": str(tmp_path / "data"),
        "PAPERWIRE_BASE_URL": "https://papers.example.org",
        "PAPERWIRE_SMTP_HOST": smtp_server.host,
        "PAPERWIRE_SMTP_PORT": str(smtp_server.port),
        "PAPERWIRE_SMTP_SECURITY": "none",
    }


def test_import_reports_bad_rows_and_a_rerun_changes_nothing(
    database_url: str, store: Store, tmp_path: Path, smtp_server: Any
) -> None:
    gone, _ = store.save_subscription(
        "gone@example.org", SubscriptionPrefs(), now=datetime.now(UTC), confirmed=True
    )
    store.unsubscribe(gone.id, now=datetime.now(UTC))
    path = tmp_path / "list.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    env = cli_env(database_url, tmp_path, smtp_server)

    first = run(["subscribers", "import", str(path), "--json"], env)
    assert first.returncode == 1, first.stderr  # bad rows make it a failure
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["added"] == 4 and summary["failed"] == 4
    assert summary["unchanged"] == 1 and summary["kept_unsubscribed"] == 1
    assert summary["mailed"] == 4
    errors = first.stderr
    assert f"{path}:4: email:" in errors
    assert f"{path}:5: frequency:" in errors
    assert f"{path}:6: categories:" in errors
    assert f"{path}:8: email: alice@example.org is also on line 2" in errors

    alice = store.subscription_by_email("alice@example.org")
    assert alice is not None and alice.status == "pending"
    assert alice.categories == ["cs.LG", "stat.ML"]
    assert alice.queries == ["token pruning", "diffusion, but fast"]
    assert alice.authors == ["Ada Lovelace"] and alice.exclude == ["survey"]
    assert store.subscription_by_email("bob@example.org") is not None
    erin = store.subscription_by_email("erin@example.org")
    assert erin is not None and erin.authors == ["Grace Hopper", "Alan Turing"]
    frank = store.subscription_by_email("frank@example.org")
    assert frank is not None and frank.exclude == ["a multi-line cell"]
    assert store.subscription_by_email("gone@example.org").status == "unsubscribed"  # type: ignore[union-attr]
    # One confirmation mail per new address, each with its link under the base URL.
    recipients = sorted(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert recipients == [
        "alice@example.org",
        "bob@example.org",
        "erin@example.org",
        "frank@example.org",
    ]
    assert all(
        "https://papers.example.org/subscriptions/confirm/" in m.message.get_body().get_content()
        for m in smtp_server.messages
    )

    again = run(["subscribers", "import", str(path), "--json"], env)
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert summary["added"] == 0 and summary["updated"] == 0 and summary["mailed"] == 0
    assert summary["unchanged"] == 5
    assert store.count_subscriptions() == {"pending": 4, "confirmed": 0, "unsubscribed": 1}
    assert len(smtp_server.messages) == 4  # the rerun mailed no one

    listed = run(["subscribers", "list", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["email"] for r in rows] == [
        "gone@example.org",
        "alice@example.org",
        "bob@example.org",
        "erin@example.org",
        "frank@example.org",
    ]
    assert all("nonce" not in r for r in rows)
    text = run(["subscribers", "list"], env).stdout
    assert "alice@example.org  pending  daily  Trending papers; Categories: cs.LG, stat.ML" in text


def test_import_confirmed_sends_no_mail(
    database_url: str, store: Store, tmp_path: Path, smtp_server: Any
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "\ufeffEmail,Frequency,Categories,Trending\n"
        "a@example.org,weekly,cs.CL,no\n"
        "b@example.org,,,\n",
        encoding="utf-8",
    )
    env = cli_env(database_url, tmp_path, smtp_server)
    result = run(["subscribers", "import", str(path), "--confirmed"], env)
    assert result.returncode == 0, result.stderr
    assert "added 2, updated 0, unchanged 0, failed 0" in result.stdout
    assert smtp_server.messages == []
    a = store.subscription_by_email("a@example.org")
    assert a is not None and a.status == "confirmed" and a.confirmed_at is not None
    assert a.prefs == SubscriptionPrefs(frequency="weekly", trending=False, categories=("cs.CL",))
    # A pending address imported again with --confirmed is confirmed now.
    store.save_subscription("p@example.org", SubscriptionPrefs(), now=datetime.now(UTC))
    path.write_text("email\np@example.org\n", encoding="utf-8")
    result = run(["subscribers", "import", str(path), "--confirmed"], env)
    assert "added 0, updated 1, unchanged 0, failed 0" in result.stdout
    assert store.subscription_by_email("p@example.org").status == "confirmed"  # type: ignore[union-attr]
    assert smtp_server.messages == []


def test_import_refuses_a_file_it_cannot_read(
    database_url: str, tmp_path: Path, smtp_server: Any
) -> None:
    env = cli_env(database_url, tmp_path, smtp_server)
    no_email = tmp_path / "no_email.csv"
    no_email.write_text("address,frequency\na@example.org,daily\n", encoding="utf-8")
    result = run(["subscribers", "import", str(no_email)], env)
    assert (
        result.returncode == 1
        and f"{no_email}:1: the header row names no 'email' column" in result.stderr
    )
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("email,authors\na@example.org,Ren\xe9\n".encode("latin-1"))
    result = run(["subscribers", "import", str(latin)], env)
    assert result.returncode == 1 and "not UTF-8" in result.stderr
    assert run(["subscribers", "import", str(tmp_path / "missing.csv")], env).returncode == 2


def test_unsubscribe_by_address_or_mailto_subject(
    database_url: str, store: Store, tmp_path: Path, smtp_server: Any
) -> None:
    from paperwire.config import Settings
    from paperwire.digest import tokens

    env = cli_env(database_url, tmp_path, smtp_server)
    now = datetime.now(UTC)
    a, _ = store.save_subscription("a@example.org", SubscriptionPrefs(), now=now, confirmed=True)
    b, _ = store.save_subscription("b@example.org", SubscriptionPrefs(), now=now, confirmed=True)
    result = run(["subscribers", "unsubscribe", "A@Example.org"], env)
    assert result.returncode == 0 and "unsubscribed a@example.org" in result.stdout
    # The subject of a mail to the List-Unsubscribe mailto, with the same key the
    # process uses (read from the same data directory).
    settings = Settings(
        data_dir=tmp_path / "data", mail_from="paperwire <digest@papers.example.org>"
    )
    mailto = tokens.unsubscribe_mailto(settings, b)
    assert mailto is not None
    from urllib.parse import unquote

    subject = unquote(mailto.split("subject=", 1)[1])
    result = run(["subscribers", "unsubscribe", subject], env)
    assert result.returncode == 0, result.stderr
    assert store.subscription_by_email("b@example.org").status == "unsubscribed"  # type: ignore[union-attr]
    assert run(["subscribers", "unsubscribe", "nobody@example.org"], env).returncode == 1
    forged = subject[:-1] + ("A" if subject[-1] != "A" else "B")
    assert run(["subscribers", "unsubscribe", forged], env).returncode == 1
