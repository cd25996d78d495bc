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


@pytest.fixture
def site_store(sample_store: Store) -> Store:
    """The sample plus hand-made hostile and dated papers (tests/web/site_papers.py)."""
    from tests.web.site_papers import dated_papers, hostile_papers

    sample_store.upsert_papers([*dated_papers(), *hostile_papers()])
    return sample_store


@pytest.fixture
def site_client(settings: Settings, site_store: Store) -> Iterator[httpx.Client]:
    """In-process client over the sample plus the hostile and dated papers."""
    from fastapi.testclient import TestClient

    app = create_app(settings, store=site_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
