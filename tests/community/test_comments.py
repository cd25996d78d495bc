"""Comments in the domain and the store, on SQLite and PostgreSQL: write, edit,
delete, hide, flag, the rate limit, and ``paper_stats.comments`` kept exact."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from paperwire.community import comments
from paperwire.community.comments import CommentNotFound, NotYourComment
from paperwire.community.ratelimit import RateLimited
from paperwire.errors import InvalidParameter
from paperwire.store import Store
from tests.community.helpers import make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def stats_count(store: Store, paper_id: str) -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT comments FROM paper_stats WHERE paper_id = ?", (paper_id,))
    return int(row["comments"]) if row else 0


def visible_rows(store: Store, paper_id: str) -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone(
            "SELECT COUNT(*) AS n FROM comments WHERE paper_id = ? AND hidden_at IS NULL",
            (paper_id,),
        )
    assert row is not None
    return int(row["n"])


def community_version(store: Store) -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT version FROM data_versions WHERE name = 'community'")
    assert row is not None
    return int(row["version"])


@pytest.fixture
def paper_id(sample_store: Store) -> str:
    return sample_store.latest_papers(limit=1)[0].id


def test_write_list_edit_delete(sample_store: Store, paper_id: str) -> None:
    store = sample_store
    alice = make_user(store, "alice@example.org", name="Alice")
    bob = make_user(store, "bob@example.org")
    before = community_version(store)

    first = comments.post_comment(
        store, alice, paper_id, "  Nice *result*.\r\nSecond line  \n\n", now=T0
    )
    assert first.body == "  Nice *result*.\nSecond line" and first.author == "Alice"
    assert first.created_at == T0 and first.edited_at is None
    second = comments.post_comment(store, bob, paper_id, "Agreed", now=T0 + timedelta(seconds=1))
    assert second.author == "bob"  # no name: the address's local part
    assert community_version(store) == before + 2
    assert stats_count(store, paper_id) == 2

    views = comments.list_comments(store, paper_id, bob)
    assert [v.comment.id for v in views] == [first.id, second.id]
    assert [v.mine for v in views] == [False, True]
    assert views[0].html == "<p>Nice <em>result</em>.<br>\nSecond line</p>\n"
    assert [
        v.comment.id for v in comments.list_comments(store, paper_id, None, after=first.id)
    ] == [second.id]
    assert len(comments.list_comments(store, paper_id, None, limit=1)) == 1

    edited = comments.edit_comment(
        store, alice, first.id, "Better text", now=T0 + timedelta(minutes=5)
    )
    assert edited.body == "Better text" and edited.edited_at == T0 + timedelta(minutes=5)
    assert edited.created_at == T0
    assert community_version(store) == before + 3

    comments.delete_comment(store, alice, first.id)
    assert store.get_comment(first.id) is None
    assert stats_count(store, paper_id) == 1 == visible_rows(store, paper_id)
    assert community_version(store) == before + 4
    with pytest.raises(CommentNotFound):
        comments.delete_comment(store, alice, first.id)


def test_only_the_author_edits_or_deletes(sample_store: Store, paper_id: str) -> None:
    store = sample_store
    alice = make_user(store, "alice@example.org")
    mallory = make_user(store, "mallory@example.org")
    moderator = make_user(store, "mod@example.org", role="moderator")
    mine = comments.post_comment(store, alice, paper_id, "mine", now=T0)
    for user in (mallory, moderator):
        with pytest.raises(NotYourComment):
            comments.edit_comment(store, user, mine.id, "changed", now=T0)
        with pytest.raises(NotYourComment):
            comments.delete_comment(store, user, mine.id)
    assert store.get_comment(mine.id) == mine
    with pytest.raises(CommentNotFound):
        comments.edit_comment(store, alice, mine.id + 1000, "x", now=T0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "must not be empty"),
        ("  \n\t\n ", "must not be empty"),
        ("x" * 5001, "at most 5,000 characters, got 5,001"),
        ("bell\x07", "U+0007"),
        ("nul\x00", "U+0000"),
        ("escape \x1b[31m", "U+001B"),
        ("del \x7f", "U+007F"),
        ("c1 \x85 next", "U+0085"),
        ("evil \u202e txt.exe", "U+202E"),
        ("isolate \u2066", "U+2066"),
        ("surrogate \ud800", "U+D800"),
    ],
)
def test_bad_bodies_are_refused(
    sample_store: Store, paper_id: str, body: str, message: str
) -> None:
    alice = make_user(sample_store, "alice@example.org")
    with pytest.raises(InvalidParameter) as caught:
        comments.post_comment(sample_store, alice, paper_id, body, now=T0)
    assert caught.value.parameter == "body" and message in caught.value.message
    assert sample_store.paper_comments(paper_id, include_hidden=True, limit=10) == []


def test_longest_body_and_tabs_are_kept(sample_store: Store, paper_id: str) -> None:
    alice = make_user(sample_store, "alice@example.org")
    body = "a\tb " + "é" * 4996
    assert len(body) == 5000
    assert comments.post_comment(sample_store, alice, paper_id, body, now=T0).body == body


def test_hidden_comments_vanish_for_readers_and_from_the_count(
    sample_store: Store, paper_id: str
) -> None:
    store = sample_store
    alice = make_user(store, "alice@example.org")
    bob = make_user(store, "bob@example.org")
    moderator = make_user(store, "mod@example.org", role="moderator")
    rude = comments.post_comment(store, alice, paper_id, "rude", now=T0)
    comments.post_comment(store, bob, paper_id, "kind", now=T0)
    assert stats_count(store, paper_id) == 2

    with pytest.raises(NotYourComment):
        comments.set_hidden(store, bob, rude.id, hidden=True, now=T0)
    hidden = comments.set_hidden(
        store, moderator, rude.id, hidden=True, now=T0 + timedelta(minutes=1)
    )
    assert hidden.hidden and hidden.hidden_at == T0 + timedelta(minutes=1)
    assert stats_count(store, paper_id) == 1 == visible_rows(store, paper_id)
    # Hiding twice changes nothing and counts nothing twice.
    comments.set_hidden(store, moderator, rude.id, hidden=True, now=T0 + timedelta(minutes=2))
    assert stats_count(store, paper_id) == 1

    for reader in (None, bob, alice):  # the author too
        assert [v.comment.body for v in comments.list_comments(store, paper_id, reader)] == ["kind"]
        with pytest.raises(CommentNotFound):
            comments.get_comment(store, rude.id, reader)
    modview = comments.list_comments(store, paper_id, moderator)
    assert [(v.comment.body, v.comment.hidden) for v in modview] == [
        ("rude", True),
        ("kind", False),
    ]
    assert all(v.moderator for v in modview)
    # Out of its author's hands, and no one else can flag it.
    with pytest.raises(CommentNotFound):
        comments.edit_comment(store, alice, rude.id, "sorry", now=T0)
    with pytest.raises(CommentNotFound):
        comments.delete_comment(store, alice, rude.id)
    with pytest.raises(CommentNotFound):
        comments.flag_comment(store, bob, rude.id, now=T0)

    comments.set_hidden(store, moderator, rude.id, hidden=False, now=T0 + timedelta(minutes=3))
    assert stats_count(store, paper_id) == 2 == visible_rows(store, paper_id)
    entries = [e for e in store.audit_entries(limit=10) if e.target.startswith("comment:")]
    assert [(e.action, e.target, e.actor_id) for e in entries] == [
        ("unhide", f"comment:{rude.id}", moderator.id),
        ("hide", f"comment:{rude.id}", moderator.id),
    ]
    assert entries[1].detail == f"on {paper_id} by alice: rude"


def test_flags_make_the_moderation_queue(sample_store: Store, paper_id: str) -> None:
    store = sample_store
    alice = make_user(store, "alice@example.org")
    bob = make_user(store, "bob@example.org")
    carol = make_user(store, "carol@example.org")
    moderator = make_user(store, "mod@example.org", role="moderator")
    spam = comments.post_comment(store, alice, paper_id, "buy now", now=T0)
    meh = comments.post_comment(store, bob, paper_id, "meh", now=T0)
    version = community_version(store)

    assert comments.flag_comment(store, bob, spam.id, " spam\n", now=T0 + timedelta(minutes=1))
    assert not comments.flag_comment(store, bob, spam.id, "again", now=T0)  # one per reader
    assert comments.flag_comment(store, carol, spam.id, now=T0 + timedelta(minutes=2))
    assert comments.flag_comment(store, carol, meh.id, "off topic", now=T0 + timedelta(minutes=3))
    with pytest.raises(InvalidParameter, match="your own"):
        comments.flag_comment(store, alice, spam.id, now=T0)
    with pytest.raises(InvalidParameter) as caught:
        comments.flag_comment(store, carol, spam.id, "r" * 501, now=T0)
    assert caught.value.parameter == "reason"
    assert community_version(store) == version  # flags change no page

    queue = comments.flagged_comments(store)
    assert [(f.comment.id, f.flags, f.reasons) for f in queue] == [
        (spam.id, 2, ("spam",)),
        (meh.id, 1, ("off topic",)),
    ]
    assert queue[0].last_flagged == T0 + timedelta(minutes=2)

    comments.set_hidden(store, moderator, spam.id, hidden=True, now=T0)
    # Unhiding a visible comment dismisses its flags.
    comments.set_hidden(store, moderator, meh.id, hidden=False, now=T0)
    assert comments.flagged_comments(store) == []
    assert [e.action for e in store.audit_entries(limit=2)] == ["dismiss-flags", "hide"]
    assert stats_count(store, paper_id) == 1

    # Deleting a comment takes its flags with it.
    comments.flag_comment(store, alice, meh.id, "still meh", now=T0)
    comments.delete_comment(store, bob, meh.id)
    assert comments.flagged_comments(store) == []


def test_rate_limit_per_account(sample_store: Store, paper_id: str) -> None:
    store = sample_store
    alice = make_user(store, "alice@example.org")
    bob = make_user(store, "bob@example.org")
    start = T0.replace(minute=0)  # the start of a window (they are aligned to the epoch)
    for i in range(comments.COMMENT_LIMIT):
        comments.post_comment(
            store, alice, paper_id, f"comment {i}", now=start + timedelta(seconds=i)
        )
    with pytest.raises(RateLimited) as caught:
        comments.post_comment(
            store, alice, paper_id, "one too many", now=start + timedelta(minutes=4)
        )
    assert caught.value.retry_after == 6 * 60
    comments.post_comment(
        store, bob, paper_id, "bob is not limited", now=start + timedelta(minutes=4)
    )
    # A refused body is checked before the limit and costs nothing.
    with pytest.raises(InvalidParameter):
        comments.post_comment(store, bob, paper_id, "", now=start)
    comments.post_comment(store, alice, paper_id, "next window", now=start + comments.RATE_WINDOW)
    assert stats_count(store, paper_id) == comments.COMMENT_LIMIT + 2


def test_count_stays_exact_under_concurrent_writers(sample_store: Store, paper_id: str) -> None:
    """Comments, deletes and hides race from several threads; the count must equal the
    visible rows at the end."""
    store = sample_store
    users = [make_user(store, f"u{i}@example.org") for i in range(6)]
    moderator = make_user(store, "mod@example.org", role="moderator")
    posted = [comments.post_comment(store, u, paper_id, "early", now=T0) for u in users]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            user = users[i]
            for n in range(4):
                comments.post_comment(store, user, paper_id, f"c{n}", now=T0 + timedelta(seconds=n))
            if i % 2:
                try:
                    comments.delete_comment(store, user, posted[i].id)
                except CommentNotFound:
                    pass  # hidden by another thread first
            for target in posted:  # every thread races to hide the same comments
                if target.user_id != user.id:
                    try:
                        comments.set_hidden(store, moderator, target.id, hidden=True, now=T0)
                    except CommentNotFound:
                        pass  # deleted by its author meanwhile
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert stats_count(store, paper_id) == visible_rows(store, paper_id) == 4 * len(users)
