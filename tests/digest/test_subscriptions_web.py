"""Subscribing on the site and through the API, on both backends, with the mail read
from a real SMTP server on loopback: double opt-in (a GET never confirms), one answer
for every address, validation, signed links (tampered, wrong purpose), the manage page,
one-click unsubscribe (RFC 8058) and the signed-in account's own subscription."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.config import Settings
from paperwire.digest import tokens
from paperwire.digest.mailer import plain_text
from paperwire.models import SubscriptionPrefs
from paperwire.store import Store
from tests.community.helpers import api_token, bearer, make_user, signed_in
from tests.conftest import TEST_BASE_URL

BASE = "https://papers.example.org"
NOW = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
OTHER_SITE = {"Origin": "https://evil.example"}


@pytest.fixture
def mail_settings(database_url: str, tmp_path: Path, smtp_server: Any) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        load_sample=False,
        embedder="hash",
        base_url=BASE,
        allowed_hosts="testserver,papers.example.org",
        **smtp_server.settings(),
    )


@pytest.fixture
def client(mail_settings: Settings, store: Store) -> Iterator[TestClient]:
    app = create_app(mail_settings, store=store)
    with TestClient(app, base_url=TEST_BASE_URL, raise_server_exceptions=False) as c:
        yield c


def mails_to(smtp_server: Any, address: str) -> list[Any]:
    return [m.message for m in smtp_server.messages if address in m.rcpt_tos]


def link_in(message: Any, purpose: str) -> str:
    """The absolute ``purpose`` link in a mail, checked to be under the base URL."""
    found = re.findall(rf"{re.escape(BASE)}/subscriptions/{purpose}/\S+", plain_text(message))
    assert found, plain_text(message)
    return found[0]


def path_of(url: str) -> str:
    return urlsplit(url).path


BODY = {
    "email": "Reader@Example.org",
    "frequency": "weekly",
    "trending": False,
    "categories": ["cs.LG", "math"],
    "queries": ["token pruning for ViT inference"],
    "authors": ["Ada Lovelace"],
    "exclude": ["survey"],
}


def test_subscribe_mail_get_does_not_confirm_post_does(
    client: TestClient, store: Store, smtp_server: Any
) -> None:
    response = client.post("/api/subscriptions", json=BODY)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "accepted"
    sub = store.subscription_by_email("reader@example.org")
    assert sub is not None and sub.status == "pending"
    assert sub.prefs == SubscriptionPrefs(
        frequency="weekly",
        trending=False,
        categories=("cs.LG", "math"),
        queries=("token pruning for ViT inference",),
        authors=("Ada Lovelace",),
        exclude=("survey",),
    )
    [mail] = mails_to(smtp_server, "reader@example.org")
    assert "Confirm" in mail["Subject"]
    text = plain_text(mail)
    assert "cs.LG, math" in text and "Ada Lovelace" in text and "weekly" in text
    confirm = link_in(mail, "confirm")
    assert link_in(mail, "manage")

    # Opening the link (what a mail scanner does) confirms nothing.
    for _ in range(2):
        page = client.get(path_of(confirm))
        assert page.status_code == 200
        assert '<form method="post">' in page.text and "Confirm my subscription" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "same-origin"
    assert store.subscription_by_email("reader@example.org").status == "pending"  # type: ignore[union-attr]
    assert store.confirmed_subscriptions("weekly") == []

    done = client.post(path_of(confirm), headers={"Origin": TEST_BASE_URL})
    assert done.status_code == 200 and "You are subscribed" in done.text
    confirmed = store.subscription_by_email("reader@example.org")
    assert confirmed is not None and confirmed.status == "confirmed"
    assert [s.id for s in store.confirmed_subscriptions("weekly")] == [sub.id]
    # Confirming twice is harmless; the page says so.
    again = client.get(path_of(confirm))
    assert again.status_code == 200 and "Already confirmed" in again.text
    assert len(smtp_server.messages) == 1  # nothing but the confirmation was mailed


def test_the_answer_is_the_same_for_every_address(
    client: TestClient, store: Store, smtp_server: Any
) -> None:
    store.save_subscription("pending@example.org", SubscriptionPrefs(), now=NOW)
    confirmed, _ = store.save_subscription(
        "confirmed@example.org", SubscriptionPrefs(categories=("hep-th",)), now=NOW, confirmed=True
    )
    gone, _ = store.save_subscription("gone@example.org", SubscriptionPrefs(), now=NOW)
    store.unsubscribe(gone.id, now=NOW)
    answers = set()
    for address in (
        "new@example.org",
        "pending@example.org",
        "confirmed@example.org",
        "gone@example.org",
    ):
        response = client.post("/api/subscriptions", json={**BODY, "email": address})
        answers.add((response.status_code, response.text))
    assert len(answers) == 1 and answers.pop()[0] == 202
    statuses = {
        a: store.subscription_by_email(a).status  # type: ignore[union-attr]
        for a in (
            "new@example.org",
            "pending@example.org",
            "confirmed@example.org",
            "gone@example.org",
        )
    }
    assert statuses == {
        "new@example.org": "pending",
        "pending@example.org": "pending",
        "confirmed@example.org": "confirmed",
        "gone@example.org": "pending",  # subscribed again: pending until confirmed
    }
    # Knowing a confirmed address is not enough to change its digest: the change waits
    # for the link mailed to that address.
    held = store.subscription_by_email("confirmed@example.org")
    assert held is not None and held.prefs == confirmed.prefs and held.pending_prefs is not None
    [mail] = mails_to(smtp_server, "confirmed@example.org")
    assert "change" in mail["Subject"]
    confirm = link_in(mail, "confirm")
    assert "Confirm the change" in client.get(path_of(confirm)).text
    client.post(path_of(confirm))
    changed = store.subscription_by_email("confirmed@example.org")
    assert changed is not None and changed.categories == ["cs.LG", "math"]
    assert changed.pending_prefs is None
    # Every address got exactly one mail.
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == sorted(statuses)


def test_same_answer_text(client: TestClient, store: Store) -> None:
    store.save_subscription("known@example.org", SubscriptionPrefs(), now=NOW, confirmed=True)
    first = client.post("/api/subscriptions", json={**BODY, "email": "known@example.org"})
    second = client.post("/api/subscriptions", json={**BODY, "email": "unknown@example.org"})
    assert (first.status_code, first.json()) == (second.status_code, second.json())
    assert first.status_code == 202


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not an address"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"frequency": "hourly"}, "frequency"),
        ({"trending": "yes"}, "trending"),
        ({"categories": ["cs.LG", "not a category!"]}, "categories"),
        ({"categories": "cs.LG"}, "categories"),
        ({"categories": [f"cs.X{chr(65 + i)}" for i in range(21)]}, "categories"),
        ({"queries": ["x" * 501]}, "queries"),
        ({"queries": [f"topic {i}" for i in range(11)]}, "queries"),
        ({"queries": ["-survey"]}, "queries"),
        ({"authors": ["A" * 301]}, "authors"),
        ({"authors": [f"Author {i}" for i in range(21)]}, "authors"),
        ({"exclude": [f"w{i}" for i in range(21)]}, "exclude"),
        ({"exclude": ["!!!"]}, "exclude"),
        ({"exclude": ["x" * 101]}, "exclude"),
        ({"trending": False, "categories": [], "queries": [], "authors": []}, "trending"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_validation_names_the_field(
    client: TestClient, store: Store, smtp_server: Any, change: dict[str, Any], field: str
) -> None:
    response = client.post("/api/subscriptions", json={**BODY, **change})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and field in body["error"]
    assert store.count_subscriptions() == {"pending": 0, "confirmed": 0, "unsubscribed": 0}
    assert smtp_server.messages == []


def test_rate_limits(client: TestClient, store: Store, smtp_server: Any) -> None:
    # Per address: past the limit nothing happens, and the answer is unchanged.
    for _ in range(5):
        assert client.post("/api/subscriptions", json=BODY).status_code == 202
    assert len(mails_to(smtp_server, "reader@example.org")) == 3
    # Per client: a 429 with Retry-After once one client asked for too many.
    codes = [
        client.post("/api/subscriptions", json={**BODY, "email": f"r{i}@example.org"}).status_code
        for i in range(20)
    ]
    assert codes[:15] == [202] * 15 and codes[-1] == 429
    limited = client.post("/api/subscriptions", json={**BODY, "email": "late@example.org"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert store.subscription_by_email("late@example.org") is None


def _confirmed(store: Store) -> Any:
    sub, _ = store.save_subscription(
        "reader@example.org",
        SubscriptionPrefs(frequency="daily", categories=("cs.LG",)),
        now=NOW,
        confirmed=True,
    )
    return sub


def test_tampered_and_wrong_purpose_links(
    client: TestClient, store: Store, mail_settings: Settings
) -> None:
    sub = _confirmed(store)
    manage = path_of(tokens.manage_url(mail_settings, sub))
    unsubscribe = path_of(tokens.unsubscribe_url(mail_settings, sub))
    token = manage.rsplit("/", 1)[1]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in (
        f"/subscriptions/manage/{flipped}",
        f"/subscriptions/unsubscribe/{token}",  # a manage token on the unsubscribe URL
        f"/subscriptions/confirm/{token}",
        f"/subscriptions/manage/{sub.id + 1}.{token.split('.')[1]}",
    ):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "not valid" in page.text and "<html" in page.text
        assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 404
    for junk in ("/subscriptions/manage/nonsense", "/subscriptions/unsubscribe/1.x"):
        assert client.get(junk).status_code == 400
    assert store.get_subscription(sub.id).status == "confirmed"  # type: ignore[union-attr]
    # The genuine links work.
    assert client.get(manage).status_code == 200
    assert client.get(unsubscribe).status_code == 200


def test_one_click_post_unsubscribes_without_cookies(
    client: TestClient, store: Store, mail_settings: Settings
) -> None:
    sub = _confirmed(store)
    url = path_of(tokens.unsubscribe_url(mail_settings, sub))
    client.cookies.clear()
    # As a mail provider sends it (RFC 8058): from its own server, no cookie, no CSRF
    # token; an Origin of its own must not stop it.
    response = client.post(
        url,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded", **OTHER_SITE},
    )
    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    gone = store.get_subscription(sub.id)
    assert gone is not None and gone.status == "unsubscribed"
    assert store.confirmed_subscriptions("daily") == []
    # Again: still 200, still unsubscribed.
    assert client.post(url, content=b"List-Unsubscribe=One-Click").status_code == 200


def test_get_of_the_unsubscribe_link_does_not_unsubscribe(
    client: TestClient, store: Store, mail_settings: Settings
) -> None:
    sub = _confirmed(store)
    url = path_of(tokens.unsubscribe_url(mail_settings, sub))
    for _ in range(3):
        page = client.get(url)
        assert page.status_code == 200
        assert '<form method="post">' in page.text
        assert 'name="List-Unsubscribe" value="One-Click"' in page.text
    assert store.get_subscription(sub.id).status == "confirmed"  # type: ignore[union-attr]
    # The page's own button unsubscribes.
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert store.get_subscription(sub.id).status == "unsubscribed"  # type: ignore[union-attr]


def test_manage_page_updates_and_unsubscribes(
    client: TestClient, store: Store, mail_settings: Settings, smtp_server: Any
) -> None:
    sub = _confirmed(store)
    url = path_of(tokens.manage_url(mail_settings, sub))
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="cs.LG"' in page.text and "reader@example.org" in page.text
    form = {
        "action": "save",
        "frequency": "weekly",
        "categories": "cs.CV, stat.ML",
        "queries": "diffusion models\nsparse attention",
        "authors": "Grace Hopper",
        "exclude": "benchmark, survey",
        "no_announcement_note": "1",
    }
    # Another site cannot make a browser post it.
    refused = client.post(url, data=form, headers=OTHER_SITE)
    assert refused.status_code == 403
    assert store.get_subscription(sub.id).prefs == sub.prefs  # type: ignore[union-attr]
    saved = client.post(url, data=form, headers={"Origin": TEST_BASE_URL})
    assert saved.status_code == 200 and "Your choices are saved" in saved.text
    updated = store.get_subscription(sub.id)
    assert updated is not None
    assert updated.prefs == SubscriptionPrefs(
        frequency="weekly",
        trending=False,
        categories=("cs.CV", "stat.ML"),
        queries=("diffusion models", "sparse attention"),
        authors=("Grace Hopper",),
        exclude=("benchmark", "survey"),
        no_announcement_note=True,
    )
    bad = client.post(url, data={**form, "categories": "not-a-category!"})
    assert bad.status_code == 400 and "categories" in bad.text
    assert store.get_subscription(sub.id).prefs == updated.prefs  # type: ignore[union-attr]
    gone = client.post(url, data={"action": "unsubscribe"})
    assert gone.status_code == 200 and "Subscribe again" in gone.text
    assert store.get_subscription(sub.id).status == "unsubscribed"  # type: ignore[union-attr]
    # Subscribing again from there mails a new confirmation; the old links stop working.
    again = client.post(url, data={"action": "resubscribe"})
    assert again.status_code == 200 and "Check your inbox" in again.text
    renewed = store.get_subscription(sub.id)
    assert renewed is not None and renewed.status == "pending"
    assert client.get(url).status_code == 404
    [mail] = mails_to(smtp_server, "reader@example.org")
    assert client.get(path_of(link_in(mail, "manage"))).status_code == 200


def test_subscribe_boxes_and_form(client: TestClient, store: Store, smtp_server: Any) -> None:
    page = client.get("/subscribe?category=cs.LG")
    assert page.status_code == 200
    assert 'value="cs.LG"' in page.text and 'type="email"' in page.text
    assert 'href="/subscribe"' in client.get("/about").text  # the header's Subscribe link
    category = client.get("/categories/cs.LG")
    assert 'action="/subscribe"' in category.text
    assert '<input type="hidden" name="categories" value="cs.LG">' in category.text
    search = client.get("/search", params={"q": "pruning <b>"})
    assert '<input type="hidden" name="queries" value="pruning &lt;b&gt;">' in search.text
    # The box on a category page posts just this.
    sent = client.post(
        "/subscribe",
        data={"email": "box@example.org", "frequency": "daily", "categories": "cs.LG"},
    )
    assert sent.status_code == 200 and "Check your inbox" in sent.text
    sub = store.subscription_by_email("box@example.org")
    assert sub is not None and sub.categories == ["cs.LG"] and sub.trending is False
    assert len(mails_to(smtp_server, "box@example.org")) == 1
    # The header's box: trending.
    client.post(
        "/subscribe", data={"email": "t@example.org", "frequency": "weekly", "trending": "1"}
    )
    trending = store.subscription_by_email("t@example.org")
    assert trending is not None and trending.trending and trending.frequency == "weekly"
    # Bad input: the form again, with the message, nothing stored.
    bad = client.post("/subscribe", data={"email": "nope", "trending": "1"})
    assert bad.status_code == 400 and "email" in bad.text and 'role="alert"' in bad.text
    cross = client.post(
        "/subscribe", data={"email": "x@example.org", "trending": "1"}, headers=OTHER_SITE
    )
    assert cross.status_code == 403
    assert store.subscription_by_email("x@example.org") is None


def test_signed_in_account_subscription(client: TestClient, store: Store, smtp_server: Any) -> None:
    assert client.get("/api/me/subscription").status_code == 401
    assert client.put("/api/me/subscription", json={"trending": True}).status_code == 401
    user = make_user(store, "Member@Example.org")
    headers = bearer(api_token(store, user))
    assert client.get("/api/me/subscription", headers=headers).status_code == 404
    put = client.put(
        "/api/me/subscription",
        json={
            "frequency": "weekly",
            "categories": ["cs.CL"],
            "trending": False,
            "no_announcement_note": True,
        },
        headers=headers,
    )
    assert put.status_code == 200, put.text
    body = put.json()
    assert body["status"] == "confirmed" and body["email"] == "member@example.org"
    assert body["categories"] == ["cs.CL"] and body["frequency"] == "weekly"
    assert body["no_announcement_note"] is True
    assert "nonce" not in body
    assert smtp_server.messages == []  # signing in proved the address: no confirmation mail
    assert client.get("/api/me/subscription", headers=headers).json() == body
    bad = client.put("/api/me/subscription", json={"frequency": "hourly"}, headers=headers)
    assert bad.status_code == 400 and "frequency" in bad.json()["error"]
    # A browser session needs the CSRF token for a change.
    session = signed_in(client, store, "member@example.org")
    no_csrf = {"Cookie": session["Cookie"]}
    assert (
        client.put("/api/me/subscription", json={"trending": True}, headers=no_csrf).status_code
        == 403
    )
    ok = client.put("/api/me/subscription", json={"trending": True}, headers=session)
    assert ok.status_code == 200 and ok.json()["trending"] is True
    # Another account sees its own (none), never this one.
    other = bearer(api_token(store, make_user(store, "other@example.org")))
    assert client.get("/api/me/subscription", headers=other).status_code == 404
    gone = client.delete("/api/me/subscription", headers=headers)
    assert gone.status_code == 200 and gone.json()["status"] == "unsubscribed"
    back = client.put("/api/me/subscription", json={"trending": True}, headers=headers)
    assert back.json()["status"] == "confirmed"


def test_a_mail_server_that_refuses_is_a_503_and_asking_again_works(
    client: TestClient, store: Store, smtp_server: Any
) -> None:
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    refused = client.post("/api/subscriptions", json=BODY)
    assert refused.status_code == 503 and "try again" in refused.json()["error"]
    page = client.post("/subscribe", data={"email": "form@example.org", "trending": "1"})
    assert page.status_code == 503 and "<html" in page.text
    smtp_server.handler.data_reply = None
    assert client.post("/api/subscriptions", json=BODY).status_code == 202
    [mail] = mails_to(smtp_server, "reader@example.org")
    assert store.subscription_by_email("reader@example.org").status == "pending"  # type: ignore[union-attr]
    assert link_in(mail, "confirm")
