"""The library over HTTP, on both backends: every route of ``/api/me/library`` with a
session cookie (CSRF enforced on changes) and with a bearer token, the exports, the
BibTeX import (bad bodies answered with a clear 4xx), the ``/library`` page and its
forms, and that no route lets one reader read or change another's library."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.bibtex import parse_bibtex
from paperwire.config import Settings
from paperwire.store import Store
from tests.community.helpers import api_token, bearer, make_user, signed_in

PAPER = "2104.12255"
OLD_STYLE = "hep-ph/0301050"


@pytest.fixture
def client(settings: Settings, sample_store: Store) -> Iterator[TestClient]:
    app = create_app(settings, store=sample_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def saves(store: Store, paper_id: str) -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT saves FROM paper_stats WHERE paper_id = ?", (paper_id,))
    return int(row["saves"]) if row else 0


def test_save_list_update_delete_with_a_session(client: TestClient, sample_store: Store) -> None:
    ada = signed_in(client, sample_store, "ada@example.org")
    r = client.put(
        f"/api/me/library/{PAPER}v2",
        json={"tags": ["ML", "ml", " Theory "], "note": "read"},
        headers=ada,
    )
    assert r.status_code == 201, r.text
    assert (
        r.json()["paper_id"] == PAPER and r.json()["tags"] == ["ml", "theory"] and r.json()["saved"]
    )
    assert r.headers["cache-control"] == "no-store"
    r = client.put(f"/api/me/library/{OLD_STYLE}", json={}, headers=ada)
    assert r.status_code == 201 and r.json()["tags"] == [] and r.json()["note"] == ""
    r = client.put(f"/api/me/library/{PAPER}", json={"note": "read twice"}, headers=ada)
    assert (
        r.status_code == 200
        and r.json()["tags"] == ["ml", "theory"]
        and r.json()["note"] == "read twice"
    )
    assert saves(sample_store, PAPER) == 1

    listing = client.get("/api/me/library", headers=ada).json()
    assert [p["paper_id"] for p in listing["papers"]] == [OLD_STYLE, PAPER]  # last saved first
    assert listing["tags"] == {"ml": 1, "theory": 1} and listing["total"] == 2
    tagged = client.get("/api/me/library", params={"tag": "THEORY"}, headers=ada).json()
    assert [p["paper_id"] for p in tagged["papers"]] == [PAPER]
    first = client.get("/api/me/library", params={"limit": 1}, headers=ada).json()
    second = client.get(
        "/api/me/library", params={"limit": 1, "cursor": first["next_cursor"]}, headers=ada
    ).json()
    assert len(first["papers"]) == len(second["papers"]) == 1 and second["next_cursor"] is None
    assert first["papers"][0]["paper_id"] != second["papers"][0]["paper_id"]

    r = client.delete(f"/api/me/library/{OLD_STYLE}", headers=ada)
    assert r.status_code == 200 and r.json() == {"paper_id": OLD_STYLE, "saved": False}
    assert client.delete(f"/api/me/library/{OLD_STYLE}", headers=ada).status_code == 404
    assert client.get("/api/me/library", headers=ada).json()["total"] == 1


def test_bad_input_is_a_clear_400(client: TestClient, sample_store: Store) -> None:
    ada = signed_in(client, sample_store, "ada@example.org")
    cases = [
        ("put", "/api/me/library/not-an-id", {"json": {}}, 400),
        ("put", "/api/me/library/2101.99999", {"json": {}}, 404),
        ("put", f"/api/me/library/{PAPER}", {"json": {"tags": "ml"}}, 400),
        ("put", f"/api/me/library/{PAPER}", {"json": {"tags": ["x" * 51]}}, 400),
        ("put", f"/api/me/library/{PAPER}", {"json": {"tags": [f"t{i}" for i in range(21)]}}, 400),
        ("put", f"/api/me/library/{PAPER}", {"json": {"note": "n" * 10_001}}, 400),
        ("put", f"/api/me/library/{PAPER}", {"json": {"note": "a\u0000b"}}, 400),
        (
            "put",
            f"/api/me/library/{PAPER}",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
        ),
        ("get", "/api/me/library?cursor=AAAA", {}, 400),
        ("get", "/api/me/library?limit=0", {}, 400),
    ]
    for method, url, kwargs, status in cases:
        headers = {**ada, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        r = getattr(client, method)(url, headers=headers, **kwargs)
        assert r.status_code == status, (url, kwargs, r.text)
        assert r.json()["status"] == status and r.json()["error"]
    assert saves(sample_store, PAPER) == 0


def test_changes_need_the_csrf_token_with_a_cookie_but_not_with_a_bearer_token(
    client: TestClient, sample_store: Store
) -> None:
    ada = signed_in(client, sample_store, "ada@example.org")
    cookie_only = {"Cookie": ada["Cookie"]}
    wrong = {"Cookie": ada["Cookie"], "X-CSRF-Token": "wrong"}
    for headers in (cookie_only, wrong):
        assert client.put(f"/api/me/library/{PAPER}", json={}, headers=headers).status_code == 403
        assert client.delete(f"/api/me/library/{PAPER}", headers=headers).status_code == 403
        r = client.post(
            "/api/me/library/import",
            content=f"@misc{{k, eprint={{{PAPER}}}}}",
            headers={**headers, "content-type": "text/plain"},
        )
        assert r.status_code == 403
    cross_site = {**ada, "Origin": "https://evil.example"}
    assert client.put(f"/api/me/library/{PAPER}", json={}, headers=cross_site).status_code == 403
    assert saves(sample_store, PAPER) == 0
    # reading needs no CSRF token
    assert client.get("/api/me/library", headers=cookie_only).status_code == 200

    token = api_token(sample_store, make_user(sample_store, "bot@example.org"))
    r = client.put(f"/api/me/library/{PAPER}", json={"tags": ["bot"]}, headers=bearer(token))
    assert r.status_code == 201
    r = client.post(
        "/api/me/library/import",
        content=f"@misc{{k, eprint={{{OLD_STYLE}}}}}",
        headers={**bearer(token), "content-type": "application/x-bibtex"},
    )
    assert r.status_code == 200 and r.json()["matched"][0]["paper_id"] == OLD_STYLE
    assert client.get("/api/me/library", headers=bearer(token)).json()["total"] == 2
    assert client.delete(f"/api/me/library/{PAPER}", headers=bearer(token)).status_code == 200
    assert saves(sample_store, PAPER) == 0 and saves(sample_store, OLD_STYLE) == 1


ROUTES = [
    ("get", "/api/me/library"),
    ("get", "/api/me/library.bib"),
    ("get", "/api/me/library.json"),
    ("put", f"/api/me/library/{PAPER}"),
    ("delete", f"/api/me/library/{PAPER}"),
    ("post", "/api/me/library/import"),
]


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_every_route_needs_a_reader(client: TestClient, method: str, url: str) -> None:
    kwargs = (
        {"json": {}}
        if method == "put"
        else {"content": b"@misc{k}", "headers": {"content-type": "text/plain"}}
        if method == "post"
        else {}
    )
    r = getattr(client, method)(url, **kwargs)
    assert r.status_code == 401 and r.json()["status"] == 401
    r = getattr(client, method)(
        url, **{**kwargs, "headers": {**kwargs.get("headers", {}), **bearer("not-a-token")}}
    )  # type: ignore[dict-item]
    assert r.status_code == 401


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_no_route_reaches_another_readers_library(
    client: TestClient, sample_store: Store, method: str, url: str
) -> None:
    ada = signed_in(client, sample_store, "ada@example.org")
    client.put(
        f"/api/me/library/{PAPER}",
        json={"tags": ["ada-secret"], "note": "ada's private note"},
        headers=ada,
    )
    eve = signed_in(client, sample_store, "eve@example.org")
    kwargs = (
        {"json": {"tags": ["eve"], "note": "eve's"}}
        if method == "put"
        else {
            "content": f"@misc{{k, eprint={{{OLD_STYLE}}}}}".encode(),
            "headers": {"content-type": "text/plain"},
        }
        if method == "post"
        else {}
    )
    r = getattr(client, method)(url, **{**kwargs, "headers": {**eve, **kwargs.get("headers", {})}})  # type: ignore[dict-item]
    assert r.status_code in (200, 201, 404), r.text
    assert "ada-secret" not in r.text and "ada's private note" not in r.text
    if method == "get" and url.endswith("library"):
        assert r.json()["total"] == 0
    if method == "delete":
        assert r.status_code == 404  # eve never saved it; ada's row is not hers to remove
    mine = client.get("/api/me/library", headers=ada).json()
    assert [(p["paper_id"], p["tags"], p["note"]) for p in mine["papers"]] == [
        (PAPER, ["ada-secret"], "ada's private note")
    ]


def test_exports_and_their_round_trip(client: TestClient, sample_store: Store) -> None:
    ada = signed_in(client, sample_store, "ada@example.org")
    for paper_id in (PAPER, OLD_STYLE, "2502.09460"):
        client.put(
            f"/api/me/library/{paper_id}", json={"tags": ["t"], "note": "private"}, headers=ada
        )
    bib = client.get("/api/me/library.bib", headers={"Cookie": ada["Cookie"]})
    assert bib.status_code == 200 and bib.headers["content-type"].startswith("application/x-bibtex")
    assert "attachment" in bib.headers["content-disposition"] and "private" not in bib.text
    assert len(parse_bibtex(bib.text, max_entries=10).entries) == 3
    js = client.get("/api/me/library.json", headers={"Cookie": ada["Cookie"]})
    assert js.status_code == 200 and js.headers["content-type"].startswith("application/json")
    assert sorted(p["paper_id"] for p in js.json()["papers"]) == sorted(
        [PAPER, OLD_STYLE, "2502.09460"]
    )
    assert {p["note"] for p in js.json()["papers"]} == {"private"}

    bob = signed_in(client, sample_store, "bob@example.org")
    r = client.post(
        "/api/me/library/import",
        content=bib.content,
        headers={**bob, "content-type": "text/plain; charset=utf-8"},
    )
    assert r.status_code == 200, r.text
    assert sorted(m["paper_id"] for m in r.json()["matched"]) == sorted(
        [PAPER, OLD_STYLE, "2502.09460"]
    )
    assert r.json()["unmatched"] == []
    assert saves(sample_store, PAPER) == 2


def test_import_lists_the_unmatched_and_refuses_bad_bodies(
    client: TestClient, sample_store: Store
) -> None:
    ada = signed_in(client, sample_store, "ada@example.org")
    text = (
        "@misc{known, url = {https://arxiv.org/abs/2104.12255v1}}\n"
        "@misc{doi, doi = {https://doi.org/10.1109/ICST62969.2025.10988919}}\n"
        "@misc{unknown, eprint = {2101.99999}}\n"
        "@book{plain, title = {No ids}}\n"
        "@misc{broken, title = {never closed\n"
    )
    r = client.post(
        "/api/me/library/import",
        content=text.encode(),
        headers={**ada, "content-type": "application/x-bibtex"},
    )
    assert r.status_code == 200, r.text
    assert {m["key"]: m["paper_id"] for m in r.json()["matched"]} == {
        "known": PAPER,
        "doi": "2502.09460",
    }
    assert [m["key"] for m in r.json()["unmatched"]] == ["unknown", "plain", "broken"]
    assert all(m["reason"] for m in r.json()["unmatched"])

    bad = [
        (b"@misc{k, eprint={2104.12255}}", "application/json", 415),
        (b"@misc{k, eprint={2104.12255}}", "multipart/form-data; boundary=x", 415),
        (b"\xff\xfe\x00binary\x00", "text/plain", 400),
        (b"@misc{k, doi={10.1/a\x00b}}", "text/plain", 400),
        (b"", "text/plain", 400),
        (b"no entries here", "text/plain", 400),
        ("\n".join(f"@misc{{k{i}, title={{x}}}}" for i in range(5001)).encode(), "text/plain", 400),
        (b"x" * (1024 * 1024 + 1), "text/plain", 413),
    ]
    for body, kind, status in bad:
        r = client.post(
            "/api/me/library/import", content=body, headers={**ada, "content-type": kind}
        )
        assert r.status_code == status, (body[:40], r.text[:200])
        assert r.json()["status"] == status
    # braces that never close: the entry is listed back, the rest of the answer stands
    r = client.post(
        "/api/me/library/import",
        content=b"@misc{k, title = " + b"{" * 900_000,
        headers={**ada, "content-type": "text/plain"},
    )
    assert r.status_code == 200 and r.json()["matched"] == []
    assert r.json()["unmatched"][0]["reason"].startswith("could not be read")


def test_the_library_page_and_its_forms(client: TestClient, sample_store: Store) -> None:
    r = client.get("/library", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sign-in"

    ada = signed_in(client, sample_store, "ada@example.org")
    cookie = {"Cookie": ada["Cookie"]}
    page = client.get("/library", headers=cookie)
    assert page.status_code == 200 and "Your library is empty" in page.text
    assert page.headers["cache-control"] == "no-store"
    token = ada["X-CSRF-Token"]
    assert f'name="csrf_token" value="{token}"' in page.text

    # saving through the form: tags from one comma-separated field
    form = {
        "csrf_token": token,
        "paper_id": PAPER,
        "tags": "Vision, theory, ",
        "note": "<script>alert(1)</script>",
    }
    r = client.post("/library/save", data=form, headers=cookie, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/library"
    page = client.get("/library", headers=cookie).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert 'href="/library?tag=vision"' in page and 'href="/api/me/library.bib"' in page
    assert (
        re.search(r'<label for="tags-1">', page) and 'id="tags-1"' in page and 'id="note-1"' in page
    )
    assert "vision (1)" in page

    # a form without its CSRF token is refused, and changes nothing
    r = client.post("/library/remove", data={"paper_id": PAPER}, headers=cookie)
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    assert saves(sample_store, PAPER) == 1

    # importing a file shows what matched and what did not
    bib = b"@misc{ok, eprint = {hep-ph/0301050}}\n@misc{nope, title = {x}}\n"
    r = client.post(
        "/library/import",
        data={"csrf_token": token},
        files={"file": ("mine.bib", bib, "application/x-bibtex")},
        headers=cookie,
    )
    assert r.status_code == 200, r.text
    assert "Import: 1 matched, 1 not" in r.text and "no arXiv id, arXiv URL or DOI" in r.text
    r = client.post(
        "/library/import", data={"csrf_token": token, "bibtex": "nothing"}, headers=cookie
    )
    assert r.status_code == 400 and "no BibTeX entries" in r.text

    r = client.post(
        "/library/remove",
        data={"csrf_token": token, "paper_id": PAPER},
        headers=cookie,
        follow_redirects=False,
    )
    assert r.status_code == 303 and saves(sample_store, PAPER) == 0
    assert OLD_STYLE in client.get("/library", headers=cookie).text

    # another reader's page never shows ada's papers
    eve = signed_in(client, sample_store, "eve@example.org")
    assert "Your library is empty" in client.get("/library", headers={"Cookie": eve["Cookie"]}).text


def test_the_forms_reach_only_the_readers_own_library(
    client: TestClient, sample_store: Store
) -> None:
    ada = signed_in(client, sample_store, "ada@example.org")
    client.put(f"/api/me/library/{PAPER}", json={"tags": ["ada"], "note": "ada's"}, headers=ada)
    eve = signed_in(client, sample_store, "eve@example.org")
    eve_cookie = {"Cookie": eve["Cookie"]}
    token = eve["X-CSRF-Token"]
    form = {"csrf_token": token, "paper_id": PAPER, "tags": "eve", "note": "eve's"}
    assert (
        client.post(
            "/library/save", data=form, headers=eve_cookie, follow_redirects=False
        ).status_code
        == 303
    )
    remove = {"csrf_token": token, "paper_id": PAPER}
    assert (
        client.post(
            "/library/remove", data=remove, headers=eve_cookie, follow_redirects=False
        ).status_code
        == 303
    )
    # ada's csrf token is no good for eve's session
    stolen = {"csrf_token": ada["X-CSRF-Token"], "paper_id": PAPER}
    assert client.post("/library/remove", data=stolen, headers=eve_cookie).status_code == 403
    mine = client.get("/api/me/library", headers=ada).json()
    assert [(p["paper_id"], p["tags"], p["note"]) for p in mine["papers"]] == [
        (PAPER, ["ada"], "ada's")
    ]
    assert client.get("/api/me/library", headers=eve).json()["total"] == 0
    assert saves(sample_store, PAPER) == 1
