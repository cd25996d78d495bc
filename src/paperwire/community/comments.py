"""Comments on papers: write, edit and delete your own; moderators hide and unhide;
readers flag what moderators should look at. The JSON API, the paper page's forms
and tests call these same functions; they take ``now`` so tests control time.

Rules, in one place:
- A body is plain text with a safe Markdown subset (``comment_markdown``): not empty,
  at most ``BODY_MAX`` characters, no control characters but newline and tab, no
  Unicode bidirectional overrides (they can make shown text read differently from
  what was written). ``\\r\\n`` becomes ``\\n``.
- Delete is a real delete: the text is gone, its flags with it. A hidden comment is
  gone for everyone but moderators (who see it marked hidden): its author can neither
  edit nor delete it, and no one can flag it — to them it answers as missing.
- ``paper_stats.comments`` counts the visible comments (the store keeps it exact).
- Each account may write ``COMMENT_LIMIT`` comments, ``EDIT_LIMIT`` edits and
  ``FLAG_LIMIT`` flags per ``RATE_WINDOW`` (``ratelimit.check_rate``, shared by every
  web worker); a refused input costs nothing, since it is checked first.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from paperwire.community import audit
from paperwire.community.comment_markdown import render_comment
from paperwire.community.ratelimit import check_rate
from paperwire.errors import InvalidParameter
from paperwire.limits import LISTING_MAX, check_limit
from paperwire.models import Comment, FlaggedComment, User
from paperwire.store import Store

BODY_MAX = 5_000
REASON_MAX = 500
RATE_WINDOW = timedelta(minutes=10)
COMMENT_LIMIT = 10
EDIT_LIMIT = 30
FLAG_LIMIT = 30
PAGE_SIZE = 50
AUDIT_EXCERPT = 200  # characters of the body the audit log keeps beside a hide

# Embeddings, overrides and isolates of the Unicode bidirectional algorithm.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class CommentNotFound(LookupError):
    """No such comment, or one the asker may not see (hidden)."""

    def __init__(self, comment_id: int) -> None:
        super().__init__(f"no comment with id {comment_id}")
        self.comment_id = comment_id


class NotYourComment(PermissionError):
    """The comment exists, but belongs to someone else (or needs a moderator)."""


@dataclass(frozen=True, slots=True)
class CommentView:
    """A comment as one reader is shown it: its HTML, and what they may do with it."""

    comment: Comment
    html: str
    mine: bool
    moderator: bool  # the reader is a moderator (sees hidden comments, hides)


def clean_text(text: str, *, parameter: str, maximum: int, required: bool) -> str:
    """``text`` with line ends made ``\\n`` and outer blank space dropped (leading
    spaces of the first line are kept: they may start a code block), or
    ``InvalidParameter`` naming ``parameter``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip().lstrip("\n")
    if required and not text.strip():
        raise InvalidParameter(parameter, "must not be empty")
    if len(text) > maximum:
        raise InvalidParameter(
            parameter, f"must be at most {maximum:,} characters, got {len(text):,}"
        )
    for ch in text:
        if ch in "\n\t":
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or ch in _BIDI_CONTROLS:
            raise InvalidParameter(parameter, f"contains the control character U+{ord(ch):04X}")
    return text


def clean_body(body: str) -> str:
    return clean_text(body, parameter="body", maximum=BODY_MAX, required=True)


def _visible_to(comment: Comment | None, user: User | None, comment_id: int) -> Comment:
    if comment is None or (comment.hidden and not (user is not None and user.is_moderator)):
        raise CommentNotFound(comment_id)
    return comment


def view_comments(comments: list[Comment], viewer: User | None) -> list[CommentView]:
    moderator = viewer is not None and viewer.is_moderator
    return [
        CommentView(
            comment=c,
            html=render_comment(c.body),
            mine=viewer is not None and c.user_id == viewer.id,
            moderator=moderator,
        )
        for c in comments
    ]


def list_comments(
    store: Store,
    paper_id: str,
    viewer: User | None,
    *,
    after: int | None = None,
    limit: int = PAGE_SIZE,
) -> list[CommentView]:
    """A page of a paper's comments, oldest first, as ``viewer`` may see them (hidden
    ones only for moderators); ``after``: the id of the last comment of the page before."""
    check_limit(limit, maximum=LISTING_MAX)
    moderator = viewer is not None and viewer.is_moderator
    comments = store.paper_comments(paper_id, include_hidden=moderator, after=after, limit=limit)
    return view_comments(comments, viewer)


def get_comment(store: Store, comment_id: int, viewer: User | None) -> CommentView:
    comment = _visible_to(store.get_comment(comment_id), viewer, comment_id)
    return view_comments([comment], viewer)[0]


def post_comment(store: Store, user: User, paper_id: str, body: str, *, now: datetime) -> Comment:
    """A new comment on a stored paper (the caller has found it)."""
    text = clean_body(body)
    check_rate(store, f"comment:user:{user.id}", limit=COMMENT_LIMIT, window=RATE_WINDOW, now=now)
    return store.add_comment(paper_id, user.id, text, now=now)


def edit_comment(store: Store, user: User, comment_id: int, body: str, *, now: datetime) -> Comment:
    """Replace the text of the user's own comment (``edited_at`` says when)."""
    text = clean_body(body)
    comment = _visible_to(store.get_comment(comment_id), user, comment_id)
    if comment.user_id != user.id or comment.hidden:
        raise NotYourComment("you can only edit your own comments")
    check_rate(store, f"comment-edit:user:{user.id}", limit=EDIT_LIMIT, window=RATE_WINDOW, now=now)
    edited = store.edit_comment(comment_id, user.id, text, now=now)
    if edited is None:  # deleted or hidden meanwhile
        raise CommentNotFound(comment_id)
    return edited


def delete_comment(store: Store, user: User, comment_id: int) -> None:
    """Delete the user's own comment for good."""
    comment = _visible_to(store.get_comment(comment_id), user, comment_id)
    if comment.user_id != user.id or comment.hidden:
        raise NotYourComment("you can only delete your own comments")
    if not store.delete_comment(comment_id, user.id):  # deleted or hidden meanwhile
        raise CommentNotFound(comment_id)


def set_hidden(
    store: Store, moderator: User, comment_id: int, *, hidden: bool, now: datetime
) -> Comment:
    """Hide (or show again) a comment; either closes its open flags, so unhiding a
    visible flagged comment is how a moderator dismisses the flags. Each change is
    written to the audit log."""
    if not moderator.is_moderator:
        raise NotYourComment("only moderators hide comments")
    comment = store.get_comment(comment_id)
    if comment is None:
        raise CommentNotFound(comment_id)
    changed, closed = store.set_comment_hidden(
        comment_id, hidden=hidden, moderator_id=moderator.id, now=now
    )
    action = ("hide" if hidden else "unhide") if changed else ("dismiss-flags" if closed else "")
    if action:
        detail = f"on {comment.paper_id} by {comment.author}: {comment.body[:AUDIT_EXCERPT]}"
        audit.record(store, moderator, action, f"comment:{comment_id}", detail, now=now)
    updated = store.get_comment(comment_id)
    if updated is None:  # deleted meanwhile
        raise CommentNotFound(comment_id)
    return updated


def flag_comment(
    store: Store, user: User, comment_id: int, reason: str = "", *, now: datetime
) -> bool:
    """Ask the moderators to look at a comment; one flag per reader and comment (False
    when this reader had flagged it already)."""
    text = clean_text(reason, parameter="reason", maximum=REASON_MAX, required=False).strip()
    comment = _visible_to(store.get_comment(comment_id), user, comment_id)
    if comment.user_id == user.id:
        raise InvalidParameter("comment", "you cannot flag your own comment")
    check_rate(store, f"flag:user:{user.id}", limit=FLAG_LIMIT, window=RATE_WINDOW, now=now)
    return store.flag_comment(comment_id, user.id, text, now=now)


def flagged_comments(store: Store, *, limit: int = PAGE_SIZE) -> list[FlaggedComment]:
    """The moderation queue's comments: open flags, the most flagged first."""
    check_limit(limit, maximum=LISTING_MAX)
    return store.flagged_comments(limit=limit)
