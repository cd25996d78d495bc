"""``paperwire digest send`` in a subprocess, on both backends, against a real SMTP
server on loopback: JSON summary, dry run, a dead server, bad options. The sender is
also killed with SIGKILL at several points mid-run; after the reruns every confirmed
subscriber has received exactly one digest (counted at the SMTP server)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from paperwire.store import Store
from tests.digest.scenario import BASE, recipients, subscribe, week_papers
from tests.mail_server import MailServer, free_port, mail_server

FRIDAY = "2026-12-04"
KEY = f"daily:{FRIDAY}"


def env_for(database_url: str, tmp_path: Path, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PAPERWIRE_DATABASE_URL": database_url,
        "PAPERWIRE_DATA_DIR": str(tmp_path / "data"),
        "PAPERWIRE_BASE_URL": BASE,
        "PAPERWIRE_SECRET_KEY": "k" * 40,
        "PAPERWIRE_MAIL_FROM": "paperwire <digest@papers.example.org>",
        "PAPERWIRE_SMTP_HOST": "127.0.0.1",
        "PAPERWIRE_SMTP_PORT": str(smtp_port),
        "PAPERWIRE_SMTP_SECURITY": "none",
        "PAPERWIRE_SMTP_TIMEOUT": "10",
        "PAPERWIRE_EMBEDDER": "hash",
    }


def send_command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "paperwire.cli", "digest", "send", "--frequency", "daily", *extra]


def run(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        send_command(*extra), env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def subscribed(store: Store) -> list[str]:
    store.upsert_papers(week_papers())
    emails = ["a@example.org", "b@example.org", "c@example.org"]
    subscribe(store, emails[0])
    subscribe(store, emails[1], trending=False, categories=["cs.CV"])
    subscribe(store, emails[2], trending=False, queries=["diffusion"])
    subscribe(store, "unconfirmed@example.org", confirmed=False)
    return emails


def test_send_prints_json_and_a_rerun_sends_nothing(
    store: Store, subscribed: list[str], smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    env = env_for(database_url, tmp_path, smtp_server.port)
    first = run(env, "--date", FRIDAY, "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["sent"], summary["skipped"], summary["failed"]) == (3, 0, 0)
    assert summary["period"] == KEY and summary["errors"] == []
    assert recipients(smtp_server.messages) == subscribed
    again = run(env, "--date", FRIDAY, "--json")
    assert json.loads(again.stdout)["sent"] == 0
    assert len(smtp_server.messages) == 3
    text = run(env, "--date", FRIDAY)
    assert text.stdout.strip() == f"digest {KEY}: sent 0, skipped 0, failed 0, retrying later 0"
    recorded = store.get_source_run("digest:daily")
    assert recorded is not None and recorded.runs == 3 and recorded.status == "ok"


def test_dry_run_says_who_would_get_what_and_sends_nothing(
    store: Store, subscribed: list[str], smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    env = env_for(database_url, tmp_path, smtp_server.port)
    dry = run(env, "--date", FRIDAY, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.strip().splitlines()
    assert lines[0].startswith(
        "would send to a@example.org: paperwire daily digest, Fri 04 Dec 2026: 4 papers"
    )
    assert "would send to b@example.org" in lines[1] and "Computer Vision" in lines[1]
    assert lines[-1] == f"digest {KEY} (dry run): would send 3, skip 0; nothing was sent or written"
    as_json = json.loads(run(env, "--date", FRIDAY, "--dry-run", "--json").stdout)
    assert [w["email"] for w in as_json["would_send"]] == subscribed
    assert as_json["sent"] == 0
    assert smtp_server.messages == []
    assert sum(store.outbox_counts(KEY).values()) == 0
    assert store.get_source_run("digest:daily") is None


def test_a_dead_server_is_a_clean_failure_and_the_rerun_delivers(
    store: Store, subscribed: list[str], database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = env_for(database_url, tmp_path, port)
    dead = run(env, "--date", FRIDAY)
    assert dead.returncode == 1
    assert "Traceback" not in dead.stderr
    assert "error: stopped, the rest stays pending for the next run: SMTP 127.0.0.1" in dead.stderr
    assert "cannot connect" in dead.stderr
    assert store.outbox_counts(KEY)["pending"] == 3
    recorded = store.get_source_run("digest:daily")
    assert recorded is not None and recorded.status == "failed"
    with mail_server() as server:
        rerun = run(env_for(database_url, tmp_path, server.port), "--date", FRIDAY, "--json")
        assert rerun.returncode == 0, rerun.stderr
        assert json.loads(rerun.stdout)["sent"] == 3
        assert recipients(server.messages) == subscribed


def test_without_an_smtp_server_nothing_is_sent_or_marked(
    store: Store, subscribed: list[str], database_url: str, tmp_path: Path
) -> None:
    env = env_for(database_url, tmp_path, free_port())
    del env["PAPERWIRE_SMTP_HOST"]
    result = run(env, "--date", FRIDAY)
    assert result.returncode == 1
    assert "error: PAPERWIRE_SMTP_HOST is not set: no digest was sent" in result.stderr
    assert sum(store.outbox_counts(KEY).values()) == 0
    dry = run(env, "--date", FRIDAY, "--dry-run")
    assert dry.returncode == 0 and "would send 3" in dry.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-02-30"], "is not a calendar day"),
        (["--date", "04.12.2026"], "expected a day as YYYY-MM-DD"),
        (["--date", "2999-01-01"], "has not come yet"),
    ],
)
def test_bad_dates_are_usage_errors(
    store: Store, database_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(env_for(database_url, tmp_path, free_port()), *args)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_frequency_is_a_usage_error(database_url: str, tmp_path: Path) -> None:
    env = env_for(database_url, tmp_path, free_port())
    result = subprocess.run(
        [sys.executable, "-m", "paperwire.cli", "digest", "send", "--frequency", "hourly"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "expected daily or weekly" in result.stderr


# --- crash test ------------------------------------------------------------------------


@dataclass
class KillSwitch:
    """Kills the sender (SIGKILL) when a MAIL FROM or a DATA command arrives after
    ``accepted`` messages were accepted in all; a killed DATA is not accepted."""

    server: MailServer
    pid: int = 0
    at: str = ""
    accepted: int = -1
    fired: threading.Event = field(default_factory=threading.Event)

    def arm(self, pid: int, at: str, accepted: int) -> None:
        self.pid, self.at, self.accepted = pid, at, accepted
        self.fired.clear()

    def _hit(self, command: str) -> bool:
        if self.at != command or len(self.server.messages) != self.accepted or self.fired.is_set():
            return False
        os.kill(self.pid, signal.SIGKILL)
        self.fired.set()
        return True

    def on_mail(self, _n: int) -> None:
        self._hit("mail")

    def on_data(self, _n: int) -> str | None:
        return "451 4.3.0 Sender died" if self._hit("data") else None


def test_a_killed_sender_rerun_delivers_exactly_one_digest_each(
    store: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    store.upsert_papers(week_papers())
    emails = [f"reader{i:02d}@example.org" for i in range(24)]
    for i, email in enumerate(emails):
        prefs = [
            {},
            {"categories": ["cs.CL"]},
            {"queries": ["diffusion"]},
            {"authors": ["Grace Hopper"]},
        ][i % 4]
        subscribe(store, email, **prefs)  # type: ignore[arg-type]
    switch = KillSwitch(smtp_server)
    smtp_server.handler.on_mail = switch.on_mail
    smtp_server.handler.on_data = switch.on_data
    env = env_for(database_url, tmp_path, smtp_server.port)

    # Killed before the 6th message's MAIL FROM, during the 12th message's DATA (before
    # the server accepts it), and before the 18th's MAIL FROM; then a full run.
    for at, accepted in (("mail", 5), ("data", 11), ("mail", 17)):
        sender = subprocess.Popen(
            # One process, so that the counts at each kill are exact (several: below).
            [*send_command("--date", FRIDAY, "--workers", "1")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        switch.arm(sender.pid, at, accepted)
        assert sender.wait(timeout=120) == -signal.SIGKILL
        assert switch.fired.is_set()
        assert len(smtp_server.messages) == accepted
    final = run(env, "--date", FRIDAY, "--json")
    assert final.returncode == 0, final.stderr
    assert json.loads(final.stdout)["sent"] == len(emails) - 17

    assert recipients(smtp_server.messages) == emails  # each exactly once
    assert store.outbox_counts(KEY)["sent"] == len(emails)
    again = run(env, "--date", FRIDAY, "--json")
    assert json.loads(again.stdout)["sent"] == 0 and len(smtp_server.messages) == len(emails)


def _pid(message_id: str) -> int:
    """The sending process, from a Message-ID made by ``email.utils.make_msgid``."""
    return int(message_id.strip("<>").split(".")[1])


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="helpers die with the send on Linux"
)
def test_several_sender_processes_share_a_send_and_die_with_it(
    store: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    store.upsert_papers(week_papers())
    emails = [f"reader{i:02d}@example.org" for i in range(40)]
    for email in emails:
        subscribe(store, email)
    env = env_for(database_url, tmp_path, smtp_server.port)
    # Each MAIL FROM waits, so the helper process (which imports everything and opens
    # its own store first: seconds on a cold or busy machine) starts before the rows
    # run out: 40 rows give the first process 10 s alone.
    smtp_server.handler.on_mail = lambda _n: time.sleep(0.25)
    sender = subprocess.Popen(
        [*send_command("--date", FRIDAY, "--workers", "2")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def senders() -> set[int]:
        return {_pid(m.message["Message-ID"]) for m in list(smtp_server.messages)}

    waited = 0.0
    while len(senders()) < 2 and sender.poll() is None and waited < 60:
        time.sleep(0.05)
        waited += 0.05
    pids = senders()
    assert sender.pid in pids and len(pids) == 2  # both processes sent
    [helper] = pids - {sender.pid}
    fired = threading.Event()

    def kill(_n: int) -> None:  # at the next MAIL FROM, whichever process sends it
        if not fired.is_set():
            fired.set()
            os.kill(sender.pid, signal.SIGKILL)

    smtp_server.handler.on_mail = kill
    assert sender.wait(timeout=60) == -signal.SIGKILL
    for _ in range(100):  # the helper is killed with it
        if _gone(helper):
            break
        time.sleep(0.05)
    assert _gone(helper)
    killed_at = len(smtp_server.messages)
    assert killed_at < len(emails)

    smtp_server.handler.on_mail = None
    final = run(env, "--date", FRIDAY, "--json", "--workers", "2")
    assert final.returncode == 0, final.stderr
    got = recipients(smtp_server.messages)
    assert sorted(set(got)) == emails  # nobody skipped
    # Exactly once, but for the documented window: a message a killed process had
    # handed over when it died may be sent again (at most one per process).
    assert len(got) - len(emails) <= 2
    assert store.outbox_counts(KEY)["sent"] == len(emails)
