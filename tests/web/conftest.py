from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from paperwire.app import create_app
from paperwire.config import Settings
from paperwire.store import Store


@pytest.fixture
def client(settings: Settings, sample_store: Store) -> Iterator[httpx.Client]:
    """In-process HTTP client over the real app and a real store holding the sample."""
    from fastapi.testclient import TestClient

    app = create_app(settings, store=sample_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
