"""A week of papers and a few subscribers, for the digest tests: papers are announced
Monday 2026-11-30 to Friday 2026-12-04 (ISO week 2026-W49); the send runs on Friday
morning unless a test moves the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from paperwire.config import Settings
from paperwire.models import Paper, Subscription, SubscriptionPrefs
from paperwire.store import Store
from tests.browse.helpers import paper_on

BASE = "https://papers.example.org"
MONDAY = date(2026, 11, 30)
FRIDAY = date(2026, 12, 4)
SATURDAY = date(2026, 12, 5)
FRIDAY_MORNING = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
HOSTILE_TITLE = '<script>alert("x")</script> & <b>Bold</b> "quoted" \u2603'


def week_papers() -> list[Paper]:
    """Four papers a day, Monday to Friday: cs.CV, cs.LG, and two cs.CL, one of them
    about diffusion; Grace Hopper writes one on Wednesday and one on Friday. Friday's
    first paper has a hostile title."""
    papers = []
    for offset in range(5):
        day = MONDAY + timedelta(days=offset)
        base = offset * 10
        papers += [
            paper_on(
                day, base + 1, categories=("cs.CV",), title=HOSTILE_TITLE if day == FRIDAY else None
            ),
            paper_on(day, base + 2, categories=("cs.LG",)),
            paper_on(
                day,
                base + 3,
                categories=("cs.CL",),
                authors=("Grace Hopper",) if offset in (2, 4) else ("Alan Turing",),
            ),
            paper_on(
                day,
                base + 4,
                categories=("cs.CL",),
                title=f"Diffusion models for text, part {offset}",
            ),
        ]
    return papers


def settings_for(server: Any | None, database_url: str, data_dir: Path, **extra: Any) -> Settings:
    smtp = server.settings() if server is not None else {}
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        load_sample=False,
        embedder="hash",
        base_url=BASE,
        mail_from="paperwire digests <digest@papers.example.org>",
        secret_key="k" * 40,
        **{**smtp, **extra},
    )


def subscribe(
    store: Store,
    email: str,
    *,
    confirmed: bool = True,
    when: datetime = FRIDAY_MORNING,
    **prefs: Any,
) -> Subscription:
    sub, _ = store.save_subscription(
        email, SubscriptionPrefs(**prefs), now=when - timedelta(days=10), confirmed=confirmed
    )
    return sub


@dataclass
class Clock:
    now: datetime = FRIDAY_MORNING

    def __call__(self) -> datetime:
        return self.now


def recipients(messages: list[Any]) -> list[str]:
    return sorted(address for m in messages for address in m.rcpt_tos)


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None, kind
    content = part.get_content()  # type: ignore[attr-defined]
    assert isinstance(content, str)
    return content
