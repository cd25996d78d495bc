"""/api/docs: Swagger UI from our own files, under the same strict CSP as every page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from paperwire.app import create_app
from paperwire.config import Settings
from paperwire.store import Store
from paperwire.web.security import CONTENT_SECURITY_POLICY


@pytest.fixture
def docs_client(settings: Settings, store: Store) -> Iterator[httpx.Client]:
    from fastapi.testclient import TestClient

    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as c:
        yield c


def test_docs_page_loads_only_same_origin_files(docs_client: httpx.Client) -> None:
    r = docs_client.get("/api/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in csp and "https:" not in csp and "'unsafe-eval'" not in csp
    assert re.search(r"<script(?![^>]*\bsrc=)", r.text) is None  # no inline script
    urls = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for url in urls:
        assert docs_client.get(url).status_code == 200, url
    assert 'data-openapi-url="/api/openapi.json"' in r.text  # what api-docs.js loads
    assert docs_client.get("/api/openapi.json").json()["info"]["title"] == "paperwire"
    bundle = next(u for u in urls if "swagger-ui-bundle.js" in u)
    r = docs_client.get(bundle)
    assert r.headers["content-type"].startswith("text/javascript")
    assert "immutable" in r.headers["cache-control"] and b"SwaggerUIBundle" in r.content


def test_docs_assets_are_only_the_named_files(docs_client: httpx.Client) -> None:
    for name in ("index.html", "swagger-initializer.js", "..%2F..%2F__init__.py", "oauth2-redirect.html"):
        assert docs_client.get(f"/api/docs/assets/{name}").status_code == 404, name
