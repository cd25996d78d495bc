"""``paperwire index`` end to end in a subprocess on both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run(args: list[str], db_url: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PAPERWIRE_DATABASE_URL": db_url, "PAPERWIRE_EMBEDDER": "hash",
                "PAPERWIRE_DATA_DIR": str(data_dir), **env}
    return subprocess.run(
        [sys.executable, "-m", "paperwire.cli", *args],
        env=full_env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_index_command_embeds_once_and_builds_the_hnsw_file(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(["ingest", "sample"], database_url, data).returncode == 0
    first = run(["index", "--batch-size", "16", "--json"], database_url, data,
                PAPERWIRE_VECTOR_ANN_THRESHOLD="50")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["model"] == "hash-384" and report["embedded"] >= 100
    assert report["batches"] == -(-report["embedded"] // 16)
    hnsw_files = list((data / "vectors").glob("*.usearch")) if (data / "vectors").exists() else []
    if database_url.startswith("sqlite"):
        assert report["ann_rebuilt"] and report["ann_added"] == report["embedded"]
        assert len(hnsw_files) == 1
    else:  # pgvector keeps its index in the database
        assert not report["ann_rebuilt"] and hnsw_files == []
    second = run(["index"], database_url, data)
    assert second.returncode == 0, second.stderr
    assert "embedded 0 papers with hash-384" in second.stdout
    from paperwire.store import open_store

    store = open_store(database_url)
    try:  # recorded like the worker's index job, under the same name
        run_record = store.get_source_run("index")
        assert run_record is not None and run_record.runs == 2 and run_record.status == "ok"
        assert run_record.counts.added == 0  # the last run's counts: nothing new
    finally:
        store.close()
    bad = run(["index", "--batch-size", "0"], database_url, data)
    assert bad.returncode == 2 and "batch-size" in bad.stderr
