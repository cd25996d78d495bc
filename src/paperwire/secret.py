"""The site's secret key: what signs cookies and emailed links.

``PAPERWIRE_SECRET_KEY`` wins. Without it a key is generated on first use and kept in
``PAPERWIRE_DATA_DIR/secret_key`` (mode 0600), so sessions and links survive a restart
and no key is ever a constant in the code. Several processes (web workers, the worker)
may start at once on a fresh data directory: each writes its candidate to a file of its
own and links it into place, which succeeds for exactly one; the others read the winner.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from paperwire.config import Settings

KEY_FILE = "secret_key"
# secrets.token_urlsafe(32) is 43 characters; anything much shorter was not written by us.
_MIN_LENGTH = 32


def secret_key_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / KEY_FILE


def load_secret_key(settings: Settings) -> bytes:
    """The secret key as bytes: the setting, or the key file (created when missing)."""
    configured = settings.secret_key.get_secret_value()
    if configured:
        return configured.encode("utf-8")
    path = secret_key_path(settings)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    _create_key(path)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if len(key) < _MIN_LENGTH:
        raise RuntimeError(
            f"{path} holds no usable secret key ({len(key)} bytes); delete it to have a "
            "new one generated (signed-in sessions and emailed links will stop working), "
            "or set PAPERWIRE_SECRET_KEY"
        )
    return key


def _create_key(path: Path) -> None:
    """Write a new key to ``path`` unless another process got there first. The key is
    complete on disk before its name appears, so a reader never sees half a key."""
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process's key won; it is the one everybody reads
    finally:
        candidate.unlink(missing_ok=True)
