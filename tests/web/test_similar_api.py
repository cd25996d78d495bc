"""GET /api/papers/{id}/similar over the real app and a real store on both backends."""

from __future__ import annotations

import httpx

from paperwire.search.embed import HashEmbedder
from paperwire.search.index import index_papers
from paperwire.store import Store


def test_similar_papers_api(client: httpx.Client, sample_store: Store) -> None:
    paper = sample_store.latest_papers(limit=1)[0]
    before = client.get(f"/api/papers/{paper.id}/similar")
    assert before.status_code == 200 and before.json() == {"id": paper.id, "results": []}

    index_papers(sample_store, HashEmbedder(), batch_size=64)
    response = client.get(f"/api/papers/{paper.id}v1/similar", params={"limit": 4})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == paper.id
    results = body["results"]
    assert len(results) == 4 and paper.id not in {r["id"] for r in results}
    assert {"id", "title", "authors", "score"} <= set(results[0])
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    first = sample_store.get_paper(results[0]["id"])
    assert first is not None and results[0]["title"] == first.title


def test_similar_papers_api_errors(client: httpx.Client) -> None:
    missing = client.get("/api/papers/2101.99999/similar")
    assert missing.status_code == 404 and "2101.99999" in missing.json()["error"]
    malformed = client.get("/api/papers/not-an-id/similar")
    assert malformed.status_code == 400
    for bad_limit in ("0", "101", "ten"):
        r = client.get("/api/papers/2104.12255/similar", params={"limit": bad_limit})
        assert r.status_code == 400 and "limit" in r.json()["error"]
    old_style = client.get("/api/papers/hep-th/9901001/similar")
    assert old_style.status_code == 404
