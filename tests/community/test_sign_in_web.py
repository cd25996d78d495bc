"""Sign-in, sessions, CSRF and API tokens through the real app on both backends, the
sign-in mail read back from a real SMTP server on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.community import accounts
from paperwire.community.ratelimit import window_start
from paperwire.config import Settings
from paperwire.digest.mailer import build_mailer
from paperwire.store import Store
from tests.community.helpers import (
    api_token,
    bearer,
    make_user,
    sign_in_link,
    sign_in_token,
    signed_in,
)
from tests.mail_server import MailServer


@pytest.fixture
def client(mail_settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(mail_settings, store=store), raise_server_exceptions=False) as c:
        yield c


def sign_in_by_mail(client: TestClient, server: MailServer, email: str) -> tuple[str, str]:
    """The whole flow as a reader does it; the session cookie's value and the CSRF token."""
    assert client.post("/api/auth/email", json={"email": email}).status_code == 202
    link = sign_in_link(server)
    path = link.removeprefix("http://testserver")
    page = client.get(path)
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token is not None
    signed = client.post("/auth/sign-in", data={"token": token.group(1)}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    cookie = signed.cookies["paperwire_session"]
    me = client.get("/api/me", headers={"Cookie": f"paperwire_session={cookie}"})
    return cookie, me.json()["csrf_token"]


def test_the_emailed_link_signs_in(
    client: TestClient, smtp_server: MailServer, store: Store
) -> None:
    assert client.get("/api/me").status_code == 401
    answer = client.post("/api/auth/email", json={"email": "Reader@Example.org"})
    assert answer.status_code == 202
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["reader@example.org"]
    link = sign_in_link(smtp_server)
    assert link.startswith("http://testserver/auth/sign-in?token=")  # PAPERWIRE_BASE_URL
    path = link.removeprefix("http://testserver")

    # Opening the link (as a mail scanner would, twice) uses nothing up.
    for _ in range(2):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        # same-origin: under no-referrer Chromium sends "Origin: null" with the page's
        # own POST, which the same-origin check refuses.
        assert page.headers["referrer-policy"] == "same-origin"
        assert '<form class="account-form" method="post" action="/auth/sign-in">' in page.text
        assert ">Sign in</button>" in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert store.get_user_by_email("reader@example.org") is None

    signed = client.post("/auth/sign-in", data={"token": token}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    set_cookie = signed.headers["set-cookie"]
    assert set_cookie.startswith("paperwire_session=")
    for flag in ("HttpOnly", "Path=/", "SameSite=lax", f"Max-Age={30 * 86400}"):
        assert flag.lower() in set_cookie.lower()
    assert "secure" not in set_cookie.lower()  # the base URL is http
    cookie = {"Cookie": "paperwire_session=" + signed.cookies["paperwire_session"]}

    me = client.get("/api/me", headers=cookie)
    assert me.status_code == 200
    body = me.json()
    assert (body["email"], body["name"], body["role"]) == ("reader@example.org", "", "user")
    assert len(body["csrf_token"]) >= 32
    home = client.get("/", headers=cookie)
    assert '<a class="header-account" href="/account">reader</a>' in home.text
    assert f'<meta name="csrf-token" content="{body["csrf_token"]}">' in home.text

    again = client.post("/auth/sign-in", data={"token": token}, follow_redirects=False)
    assert again.status_code == 400 and "no longer works" in again.text
    assert "set-cookie" not in again.headers


def test_the_answer_is_the_same_for_any_address(
    client: TestClient, smtp_server: MailServer, store: Store
) -> None:
    make_user(store, "known@example.org")
    known = client.post("/api/auth/email", json={"email": "known@example.org"})
    unknown = client.post("/api/auth/email", json={"email": "unknown@example.org"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert [m.rcpt_tos for m in smtp_server.messages] == [
        ["known@example.org"],
        ["unknown@example.org"],
    ]
    signed_form = client.post("/sign-in", data={"email": "unknown@example.org"})
    assert signed_form.status_code == 200 and "Check your email" in signed_form.text


def test_bad_addresses_are_a_400(client: TestClient) -> None:
    bad = client.post("/api/auth/email", json={"email": "not an address"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("email:")
    assert client.post("/api/auth/email", json={}).status_code == 400
    form = client.post("/sign-in", data={"email": "nope"})
    assert form.status_code == 400 and 'aria-invalid="true"' in form.text


def test_an_expired_link_says_so(
    client: TestClient, mail_settings: Settings, smtp_server: MailServer, store: Store
) -> None:
    asked = datetime.now(UTC) - timedelta(minutes=16)
    accounts.request_sign_in(
        store,
        build_mailer(mail_settings),
        mail_settings,
        email="slow@example.org",
        client_ip="192.0.2.5",
        now=asked,
    )
    token = sign_in_token(smtp_server)
    page = client.post("/auth/sign-in", data={"token": token})
    assert page.status_code == 400 and "expired" in page.text
    assert store.get_user_by_email("slow@example.org") is None
    assert client.get("/auth/sign-in").status_code == 200  # no token: a page, not a 500
    assert client.post("/auth/sign-in", data={}).status_code == 400


def test_the_ip_limit_answers_429_with_retry_after(
    client: TestClient, smtp_server: MailServer
) -> None:
    for _attempt in range(2):  # a fixed window may end mid-test: then once more
        started = window_start(datetime.now(UTC), accounts.SIGN_IN_WINDOW)
        answers = [
            client.post("/api/auth/email", json={"email": f"r{i}.{_attempt}@example.org"})
            for i in range(accounts.SIGN_IN_PER_IP + 1)
        ]
        if window_start(datetime.now(UTC), accounts.SIGN_IN_WINDOW) == started:
            break
    assert [a.status_code for a in answers[:-1]] == [202] * accounts.SIGN_IN_PER_IP
    refused = answers[-1]
    assert refused.status_code == 429 and refused.json()["status"] == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 900
    page = client.post("/sign-in", data={"email": "page@example.org"})
    assert page.status_code == 429 and "retry-after" in page.headers


def test_a_mail_server_refusal_is_a_503(client: TestClient, smtp_server: MailServer) -> None:
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    answer = client.post("/api/auth/email", json={"email": "x@example.org"})
    assert answer.status_code == 503 and "try again" in answer.json()["error"]


def test_cookies_are_secure_on_an_https_site(
    mail_settings: Settings, smtp_server: MailServer, store: Store
) -> None:
    https = mail_settings.model_copy(update={"base_url": "https://papers.example.org"})
    app = create_app(https, store=store)
    with TestClient(app, base_url="https://papers.example.org") as c:
        assert c.post("/api/auth/email", json={"email": "tls@example.org"}).status_code == 202
        link = sign_in_link(smtp_server)
        assert link.startswith("https://papers.example.org/auth/sign-in?token=")
        token = link.split("token=", 1)[1]
        signed = c.post("/auth/sign-in", data={"token": token}, follow_redirects=False)
        set_cookie = signed.headers["set-cookie"]
        assert set_cookie.startswith("__Host-paperwire_session=")
        assert "secure" in set_cookie.lower() and "httponly" in set_cookie.lower()
        me = c.get("/api/me")  # the client's jar sends the cookie back over https
        assert me.status_code == 200 and me.json()["email"] == "tls@example.org"


def test_cookie_writes_need_the_csrf_token(client: TestClient, store: Store) -> None:
    headers = signed_in(client, store, "csrf@example.org")
    no_csrf = {"Cookie": headers["Cookie"]}
    wrong = {**no_csrf, "X-CSRF-Token": "wrong"}
    for sent in (no_csrf, wrong):
        assert client.post("/api/me/tokens", headers=sent).status_code == 403
        assert client.patch("/api/me", json={"name": "X"}, headers=sent).status_code == 403
        assert client.post("/api/auth/sign-out", headers=sent).status_code == 403
        form = client.post(
            "/account/name", data={"name": "X", "csrf_token": "wrong"}, headers=no_csrf
        )
        assert form.status_code == 403
    assert client.get("/api/me", headers=no_csrf).status_code == 200  # reads need none
    assert client.post("/api/me/tokens", headers=headers).status_code == 201
    form = client.post(
        "/account/name",
        data={"name": "Form Name", "csrf_token": headers["X-CSRF-Token"]},
        headers=no_csrf,
        follow_redirects=False,
    )
    assert form.status_code == 303
    assert client.get("/api/me", headers=no_csrf).json()["name"] == "Form Name"
    # Another session's token is no good either.
    other = signed_in(client, store, "csrf@example.org")
    mixed = {"Cookie": headers["Cookie"], "X-CSRF-Token": other["X-CSRF-Token"]}
    assert client.patch("/api/me", json={"name": "Y"}, headers=mixed).status_code == 403


def test_a_bearer_token_needs_no_csrf(client: TestClient, store: Store) -> None:
    user = make_user(store, "bot@example.org")
    auth = bearer(api_token(store, user))
    assert client.get("/api/me", headers=auth).json()["email"] == "bot@example.org"
    renamed = client.patch("/api/me", json={"name": "Bot"}, headers=auth)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Bot"
    assert client.post("/api/me/tokens", headers=auth).status_code == 201
    assert client.get("/api/me", headers=bearer("pw_not-a-real-token")).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Basic eDp5"}).status_code == 401


def test_cross_site_posts_are_refused(client: TestClient, store: Store) -> None:
    headers = signed_in(client, store, "origin@example.org")
    for hostile in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        assert (
            client.patch("/api/me", json={"name": "x"}, headers={**headers, **hostile}).status_code
            == 403
        )
        assert (
            client.post(
                "/api/auth/email", json={"email": "v@example.org"}, headers=hostile
            ).status_code
            == 403
        )
        assert client.post("/auth/sign-in", data={"token": "t"}, headers=hostile).status_code == 403
    same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert (
        client.patch("/api/me", json={"name": "ok"}, headers={**headers, **same}).status_code == 200
    )


def test_sign_out_ends_this_session_and_everywhere_ends_all(
    client: TestClient, store: Store
) -> None:
    laptop = signed_in(client, store, "two@example.org")
    phone = signed_in(client, store, "two@example.org")
    token = api_token(store, store.get_user_by_email("two@example.org"))  # type: ignore[arg-type]
    out = client.post("/api/auth/sign-out", headers=laptop)
    assert out.status_code == 204
    assert (
        "paperwire_session=" in out.headers["set-cookie"]
        and "max-age=0" in out.headers["set-cookie"].lower()
    )
    assert client.get("/api/me", headers=laptop).status_code == 401
    assert client.get("/api/me", headers=phone).status_code == 200
    tablet = signed_in(client, store, "two@example.org")
    everywhere = client.post("/api/auth/sign-out-everywhere", headers=phone)
    assert everywhere.status_code == 200 and everywhere.json() == {"sessions_ended": 2}
    assert client.get("/api/me", headers=phone).status_code == 401
    assert client.get("/api/me", headers=tablet).status_code == 401
    assert (
        client.get("/api/me", headers=bearer(token)).status_code == 200
    )  # tokens are revoked one by one


def test_tokens_are_listed_revoked_and_kept_to_their_owner(
    client: TestClient, store: Store
) -> None:
    ann = signed_in(client, store, "ann@example.org")
    bob = signed_in(client, store, "bob@example.org")
    made = client.post("/api/me/tokens", json={"name": "laptop"}, headers=ann)
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    token, token_id = made.json()["token"], made.json()["id"]
    assert token.startswith("pw_")
    listed = client.get("/api/me/tokens", headers=ann).json()["tokens"]
    assert [(t["id"], t["name"], t["last_used"]) for t in listed] == [(token_id, "laptop", None)]
    assert token not in client.get("/api/me/tokens", headers=ann).text
    assert client.get("/api/me", headers=bearer(token)).json()["email"] == "ann@example.org"
    assert client.get("/api/me/tokens", headers=ann).json()["tokens"][0]["last_used"] is not None

    assert client.get("/api/me/tokens", headers=bob).json() == {"tokens": []}
    assert client.delete(f"/api/me/tokens/{token_id}", headers=bob).status_code == 404
    form = client.post(
        f"/account/tokens/{token_id}/revoke",
        data={"csrf_token": bob["X-CSRF-Token"]},
        headers={"Cookie": bob["Cookie"]},
    )
    assert form.status_code == 404
    assert client.get("/api/me", headers=bearer(token)).status_code == 200

    assert client.delete(f"/api/me/tokens/{token_id}", headers=ann).status_code == 204
    assert client.get("/api/me", headers=bearer(token)).status_code == 401
    assert client.delete(f"/api/me/tokens/{token_id}", headers=ann).status_code == 404
    assert client.get("/api/me/tokens", headers=ann).json() == {"tokens": []}


def test_the_display_name_is_checked(client: TestClient, store: Store) -> None:
    headers = signed_in(client, store, "name@example.org")
    ok = client.patch("/api/me", json={"name": "  Grace  Hopper "}, headers=headers)
    assert ok.status_code == 200 and ok.json()["name"] == "Grace Hopper"
    for bad in ("a\u0007b", "x" * 61, "line\nbreak"):
        answer = client.patch("/api/me", json={"name": bad}, headers=headers)
        assert answer.status_code == 400 and answer.json()["error"].startswith("name:")
    assert client.patch("/api/me", json={}, headers=headers).status_code == 400


def test_pages_are_never_shared_between_readers(client: TestClient, store: Store) -> None:
    ann = signed_in(client, store, "ann@example.org")
    token = api_token(store, make_user(store, "bob@example.org"))  # type: ignore[arg-type]
    anonymous = client.get("/")
    assert ">Sign in</a>" in anonymous.text and "csrf-token" not in anonymous.text
    assert anonymous.headers["cache-control"].startswith("public")
    as_ann = client.get("/", headers={"Cookie": ann["Cookie"]})
    assert ">ann</a>" in as_ann.text and ann["X-CSRF-Token"] in as_ann.text
    assert as_ann.headers["cache-control"] == "private, no-cache"
    as_bob = client.get("/", headers=bearer(token))
    assert ">bob</a>" in as_bob.text and ">ann</a>" not in as_bob.text
    assert as_bob.headers["cache-control"] == "private, no-cache"
    again = client.get("/")
    assert (
        ">Sign in</a>" in again.text
        and ">ann</a>" not in again.text
        and ">bob</a>" not in again.text
    )
    # A name change reaches pages a browser revalidates.
    etag = as_ann.headers["etag"]
    client.patch("/api/me", json={"name": "Ann B"}, headers=ann)
    fresh = client.get("/", headers={"Cookie": ann["Cookie"], "If-None-Match": etag})
    assert fresh.status_code == 200 and ">Ann B</a>" in fresh.text


def test_the_account_page(client: TestClient, store: Store) -> None:
    assert client.get("/account", follow_redirects=False).headers["location"] == "/sign-in"
    headers = signed_in(client, store, "page@example.org")
    cookie = {"Cookie": headers["Cookie"]}
    page = client.get("/account", headers=cookie)
    assert page.status_code == 200 and "page@example.org" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.text.count(f'name="csrf_token" value="{headers["X-CSRF-Token"]}"') >= 4
    made = client.post(
        "/account/tokens",
        data={"name": "script", "csrf_token": headers["X-CSRF-Token"]},
        headers=cookie,
    )
    shown = re.search(r'<code class="token-value">(pw_[^<]+)</code>', made.text)
    assert made.status_code == 200 and shown is not None
    assert client.get("/api/me", headers=bearer(shown.group(1))).status_code == 200
    listing = client.get("/account", headers=cookie)
    assert "script" in listing.text and shown.group(1) not in listing.text
    out = client.post(
        "/account/sign-out",
        data={"csrf_token": headers["X-CSRF-Token"]},
        headers=cookie,
        follow_redirects=False,
    )
    assert out.status_code == 303 and client.get("/api/me", headers=cookie).status_code == 401
    assert client.post("/account/name", data={"name": "x"}).status_code == 401
    assert ">Sign in</a>" in client.post("/account/name", data={"name": "x"}).text


def test_forged_and_ended_sessions_sign_no_one_in(client: TestClient, store: Store) -> None:
    headers = signed_in(client, store, "real@example.org")
    name, value = headers["Cookie"].split("=", 1)
    token, _, mac = value.rpartition(".")
    forged = [
        f"{name}={token}.{'A' * len(mac)}",  # a signature that is not the key's
        f"{name}={token}",  # no signature
        f"{name}=x.{mac}",  # another token under the same signature
    ]
    for cookie in forged:
        assert client.get("/api/me", headers={"Cookie": cookie}).status_code == 401
        assert ">Sign in</a>" in client.get("/about", headers={"Cookie": cookie}).text
    assert client.get("/api/me", headers={"Cookie": headers["Cookie"]}).status_code == 200
    client.post("/api/auth/sign-out", headers=headers)
    assert client.get("/api/me", headers={"Cookie": headers["Cookie"]}).status_code == 401


def test_the_base_url_is_a_same_origin(mail_settings: Settings, store: Store) -> None:
    """Behind a proxy the Host may be an inner name; the public origin still counts,
    written with or without its default port."""
    proxied = mail_settings.model_copy(
        update={"base_url": "https://papers.example.org:443/", "allowed_hosts": "testserver"}
    )
    with TestClient(create_app(proxied, store=store)) as c:
        headers = signed_in(c, store, "proxy@example.org")
        ok = {**headers, "Origin": "https://papers.example.org"}
        assert c.patch("/api/me", json={"name": "P"}, headers=ok).status_code == 200
        other = {**headers, "Origin": "https://papers.example.org:8443"}
        assert c.patch("/api/me", json={"name": "P"}, headers=other).status_code == 403
