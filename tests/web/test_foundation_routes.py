from __future__ import annotations

import httpx


def test_healthz(client: httpx.Client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["papers"] >= 100


def test_index_lists_real_papers(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    # The newest announcement day of the sample, then the days before it: a full page.
    assert r.text.count('class="card"') == 50 and "Friday, 03 April 2026" in r.text


def test_api_paper_json(client: httpx.Client) -> None:
    r = client.get("/api/papers/2104.12255v1")
    assert r.status_code == 200
    data = r.json()
    assert data["id"] == "2104.12255" and data["title"] == "0"
    assert data["authors"][0]["name"] == "Quan Thoi Minh Nguyen"


def test_api_unknown_paper_is_json_404(client: httpx.Client) -> None:
    r = client.get("/api/papers/2101.99999")
    assert r.status_code == 404 and "2101.99999" in r.json()["error"]


def test_api_malformed_id_is_400(client: httpx.Client) -> None:
    r = client.get("/api/papers/not-an-id")
    assert r.status_code == 400 and "not-an-id" in r.json()["error"]


def test_paper_page(client: httpx.Client) -> None:
    r = client.get("/papers/2104.12255")
    assert r.status_code == 200 and "Quan Thoi Minh Nguyen" in r.text
