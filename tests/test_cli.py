"""The CLI end to end in a subprocess: real exit codes, real output, real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from paperwire.ingest.sample import SAMPLE_DIR


def run(args: list[str], db_url: str, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAPERWIRE_DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "paperwire.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert run(["db", "upgrade"], url).returncode == 0
    second = run(["db", "upgrade"], url)
    assert second.returncode == 0 and "up to date" in second.stdout


def test_ingest_atom_reports_bad_file_and_imports_the_rest(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "truncated.xml"
    bad.write_text("<feed xmlns='http://www.w3.org/2005/Atom'><entry>")
    good = SAMPLE_DIR / "id_2104.12255v1_s0_m100_6ae69987ffe1.json"
    result = run(["ingest", "atom", str(bad), str(good), "--json"], database_url)
    assert result.returncode == 1
    assert "truncated.xml" in result.stderr and "malformed XML" in result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["added"] == 1 and summary["failed"] == 1
    again = run(["ingest", "atom", str(good)], database_url)
    assert again.returncode == 0
    assert again.stdout.strip().endswith("added 0, updated 0, unchanged 1, failed 0")


def test_ingest_sample_if_empty(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = run(["ingest", "sample", "--if-empty", "--json"], url)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] >= 100
    second = run(["ingest", "sample", "--if-empty"], url)
    assert "already has papers" in second.stdout
