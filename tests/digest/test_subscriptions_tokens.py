"""Signed subscription links: each opens its own subscription for its own purpose, and
nothing else does."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from paperwire.config import Settings
from paperwire.digest import tokens
from paperwire.digest.message import build_message
from paperwire.errors import InvalidParameter
from paperwire.models import SubscriptionPrefs
from paperwire.store import Store

NOW = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def link_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        base_url="https://papers.example.org/",
        mail_from="Paper Wire <digest@papers.example.org>",
    )


def _token(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[1]


def test_each_link_opens_its_purpose_only(sqlite_store: Store, link_settings: Settings) -> None:
    sub, _ = sqlite_store.save_subscription("a@example.org", SubscriptionPrefs(), now=NOW)
    key = tokens.links_key(link_settings)
    urls = {
        "confirm": tokens.confirm_url(link_settings, sub),
        "manage": tokens.manage_url(link_settings, sub),
        "unsubscribe": tokens.unsubscribe_url(link_settings, sub),
    }
    for purpose, url in urls.items():
        assert url.startswith(f"https://papers.example.org/subscriptions/{purpose}/")
        for other in tokens.PURPOSES:
            if other == purpose:
                assert tokens.verify(sqlite_store, key, _token(url), other) == sub
            else:
                with pytest.raises(tokens.LinkInvalid):
                    tokens.verify(sqlite_store, key, _token(url), other)


def test_tampered_foreign_and_voided_links_fail(
    sqlite_store: Store, link_settings: Settings, tmp_path: Path
) -> None:
    a, _ = sqlite_store.save_subscription("a@example.org", SubscriptionPrefs(), now=NOW)
    b, _ = sqlite_store.save_subscription("b@example.org", SubscriptionPrefs(), now=NOW)
    key = tokens.links_key(link_settings)
    token = tokens.sign(key, a, "manage")
    sub_id, signature = token.split(".")
    # Another row's id with this signature; one changed character; an unknown id.
    for forged in (
        f"{b.id}.{signature}",
        f"{sub_id}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"{b.id + 100}.{signature}",
    ):
        with pytest.raises(tokens.LinkInvalid):
            tokens.verify(sqlite_store, key, forged, "manage")
    # Signed with another site's key.
    other = Settings(data_dir=tmp_path / "elsewhere")
    with pytest.raises(tokens.LinkInvalid):
        tokens.verify(
            sqlite_store, key, tokens.sign(tokens.links_key(other), a, "manage"), "manage"
        )
    # Not a token's shape at all: bad input, not a bad link.
    for junk in (
        "",
        "abc",
        "1.short",
        "0." + "A" * 43,
        "1." + "A" * 43 + "x",
        "9" * 19 + "." + "A" * 43,
    ):
        with pytest.raises(InvalidParameter):
            tokens.verify(sqlite_store, key, junk, "manage")
    # Unsubscribing and subscribing again renews the nonce: the old link is void.
    sqlite_store.unsubscribe(a.id, now=NOW)
    again, outcome = sqlite_store.save_subscription("a@example.org", SubscriptionPrefs(), now=NOW)
    assert outcome == "revived"
    with pytest.raises(tokens.LinkInvalid):
        tokens.verify(sqlite_store, key, token, "manage")
    assert tokens.verify(sqlite_store, key, tokens.sign(key, again, "manage"), "manage") == again


def test_list_unsubscribe_headers(sqlite_store: Store, link_settings: Settings) -> None:
    sub, _ = sqlite_store.save_subscription("a@example.org", SubscriptionPrefs(), now=NOW)
    headers = tokens.list_unsubscribe_headers(link_settings, sub)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (part.strip().strip("<>") for part in headers["List-Unsubscribe"].split(","))
    assert https == tokens.unsubscribe_url(link_settings, sub)
    assert mailto.startswith("mailto:digest@papers.example.org?subject=unsubscribe%20")
    token = unquote(mailto.split("%20", 1)[1])
    key = tokens.links_key(link_settings)
    assert tokens.verify(sqlite_store, key, token, "unsubscribe") == sub
    # The headers survive a real message (no line breaks, nothing folded into a new header).
    message: EmailMessage = build_message(
        link_settings, to=sub.email, subject="digest", text="x", headers=headers
    )
    assert message["List-Unsubscribe"] == headers["List-Unsubscribe"]
    no_address = Settings(data_dir=link_settings.data_dir, mail_from="paperwire")
    assert tokens.unsubscribe_mailto(no_address, sub) is None
