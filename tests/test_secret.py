"""The secret key: generated once into the data directory, private, reused, and one
key however many processes start at once."""

from __future__ import annotations

import stat
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

from paperwire.config import Settings
from paperwire.secret import load_secret_key, secret_key_path


def settings_in(data_dir: Path, **overrides: object) -> Settings:
    return Settings(data_dir=data_dir, **overrides)


def test_generated_once_private_and_reused(tmp_path: Path) -> None:
    settings = settings_in(tmp_path / "data")
    key = load_secret_key(settings)
    assert len(key) >= 43
    path = secret_key_path(settings)
    assert path.read_bytes().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key(settings_in(tmp_path / "data")) == key  # a later start
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no leftovers
    assert load_secret_key(settings_in(tmp_path / "other")) != key


def test_the_setting_wins_and_no_file_is_written(tmp_path: Path) -> None:
    configured = "k" * 40
    settings = settings_in(tmp_path, secret_key=configured)
    assert load_secret_key(settings) == configured.encode()
    assert not secret_key_path(settings).exists()
    assert configured not in repr(settings)


def test_a_short_configured_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        settings_in(tmp_path, secret_key="short")


def test_a_damaged_key_file_is_an_error_not_a_new_key(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    secret_key_path(settings).write_text("")
    with pytest.raises(RuntimeError, match="secret_key"):
        load_secret_key(settings)


def test_threads_starting_together_get_one_key(tmp_path: Path) -> None:
    for attempt in range(20):
        settings = settings_in(tmp_path / str(attempt))
        barrier = threading.Barrier(8)
        keys: list[bytes] = []

        def start(settings: Settings, barrier: threading.Barrier, keys: list[bytes]) -> None:
            barrier.wait()
            keys.append(load_secret_key(settings))

        threads = [threading.Thread(target=start, args=(settings, barrier, keys)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(keys) == 8 and len(set(keys)) == 1
        assert secret_key_path(settings).read_bytes().strip() == keys[0]


def _key_in_process(data_dir: str) -> bytes:
    return load_secret_key(Settings(data_dir=Path(data_dir)))


def test_processes_starting_together_get_one_key(tmp_path: Path) -> None:
    with ProcessPoolExecutor(max_workers=4) as pool:
        keys = set(pool.map(_key_in_process, [str(tmp_path)] * 16))
    assert keys == {secret_key_path(settings_in(tmp_path)).read_bytes().strip()}
