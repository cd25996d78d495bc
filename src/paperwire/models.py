"""Plain data objects shared by every layer. No I/O, no project imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Source = Literal["arxiv", "medline"]
LinkKind = Literal["abs", "pdf", "doi", "code", "project", "html"]


@dataclass(frozen=True, slots=True)
class Author:
    """An author as the source gave it; name parts are kept when known."""

    name: str
    family: str | None = None
    given: str | None = None
    suffix: str | None = None
    affiliation: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    kind: LinkKind
    url: str


@dataclass(slots=True)
class Paper:
    """One paper, keyed by arXiv id without version (or ``pmid:N`` for MEDLINE)."""

    id: str
    title: str
    abstract: str = ""
    authors: list[Author] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # primary first
    version: int | None = None  # latest known version number
    submitted: datetime | None = None  # first version
    updated: datetime | None = None  # latest version
    announced: date | None = None  # arXiv announcement day, when known
    announce_type: str | None = None  # new | cross | replace | replace-cross
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    license: str | None = None
    source: Source = "arxiv"
    links: list[Link] = field(default_factory=list)
    mesh_terms: list[str] = field(default_factory=list)  # MEDLINE only
    references: list[str] = field(default_factory=list)  # MEDLINE: cited PMIDs
    # The day a listing shows this paper under: its listed day, or the day an approved
    # community submission put it on the daily list. Set by listings only; a listing's
    # keyset cursor is (listed_on, id).
    listed_on: date | None = field(default=None, compare=False)

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def code_links(self) -> list[Link]:
        return [link for link in self.links if link.kind == "code"]

    @property
    def has_code(self) -> bool:
        return any(link.kind == "code" for link in self.links)

    @property
    def day(self) -> date | None:
        """The day the paper is listed under: its announcement, else its first version."""
        if self.announced is not None:
            return self.announced
        return self.submitted.date() if self.submitted else None


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What an import did; summed across batches and files."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.added + other.added,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.failed + other.failed,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }


Role = Literal["user", "moderator", "admin"]
ROLES: tuple[Role, ...] = ("user", "moderator", "admin")


@dataclass(frozen=True, slots=True)
class User:
    """A signed-up reader. ``trusted_at``: since when their votes weigh in trending."""

    id: int
    email: str
    name: str
    role: str  # one of ROLES
    created_at: datetime
    trusted_at: datetime | None = None

    @property
    def is_moderator(self) -> bool:
        return self.role in ("moderator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A personal API token as listed to its owner: never the token itself."""

    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One moderator or operator action; ``actor_id`` None for the command line."""

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    target: str
    detail: str


@dataclass(frozen=True, slots=True)
class Comment:
    """A reader's comment on a paper: ``body`` is the text as typed (rendered when
    shown); ``hidden_at`` set means a moderator hid it (readers no longer see it)."""

    id: int
    paper_id: str
    user_id: int
    author: str  # the author's display name
    body: str
    created_at: datetime
    edited_at: datetime | None = None
    hidden_at: datetime | None = None

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


@dataclass(frozen=True, slots=True)
class CardStats:
    """What a paper's card, page and API answers show of the community: every vote,
    comment and save counted, who submitted it (their display name, once approved),
    and, for a signed-in reader, whether they voted for and saved it."""

    upvotes: int = 0
    comments: int = 0
    saves: int = 0
    submitted_by: str | None = None
    voted: bool = False
    saved: bool = False


@dataclass(frozen=True, slots=True)
class PaperSignals:
    """What the trending ranking weighs for one paper of a window: each named signal's
    value (``votes``, ``saves``, ``submission``, …) and the day the paper is listed
    under there, from which its age is counted."""

    paper_id: str
    day: date
    values: dict[str, float]


@dataclass(frozen=True, slots=True)
class FlaggedComment:
    """A comment with open flags, for the moderation queue."""

    comment: Comment
    flags: int
    reasons: tuple[str, ...]  # the non-empty reasons given, oldest first
    last_flagged: datetime


SubmissionStatus = Literal["pending", "approved", "rejected"]
SUBMISSION_STATUSES: tuple[SubmissionStatus, ...] = ("pending", "approved", "rejected")


@dataclass(frozen=True, slots=True)
class Submission:
    """A paper a reader put forward for the daily list. Approved, it is listed on
    ``submitted_day`` credited to ``submitter`` (the submitter's display name);
    ``reason`` is the moderator's, given when rejecting."""

    id: int
    paper_id: str
    user_id: int
    submitter: str
    status: SubmissionStatus
    submitted_at: datetime
    submitted_day: date
    title: str = ""
    decided_at: datetime | None = None
    decided_by: str | None = None  # the moderator's display name
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked result: rankers return ``list[Hit]``."""

    paper_id: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Filters with one meaning for every listing, feed and ranker (applied before
    ranking), written as SQL once, in ``store/filters.py``:

    * ``categories``: any of them, primary or cross-list; an archive name (no dot:
      ``cs``, ``math``, ``astro-ph``) also matches its subcategories (``cs.AI``).
    * ``author``: an author of that whole name, or, for a single word, of that family
      name (a name's last word: ``Hopper`` matches ``Grace Hopper``); case and runs of
      spaces are ignored (names are compared as ``author_key``s).
    * ``date_from`` / ``date_until``: the listed day (announcement, else first
      version), inclusive. ``has_code``, ``source``: equal.
    * ``min_stars``: a linked GitHub repository with at least that many stars, as the
      last GitHub run saw it (a repository not yet fetched, or gone, has none).
    """

    categories: tuple[str, ...] = ()
    date_from: date | None = None
    date_until: date | None = None
    has_code: bool | None = None
    author: str | None = None
    source: str | None = None
    min_stars: int | None = None

    @property
    def empty(self) -> bool:
        return (
            not self.categories
            and self.date_from is None
            and self.date_until is None
            and self.has_code is None
            and not self.author
            and self.source is None
            and self.min_stars is None
        )


@dataclass(frozen=True, slots=True)
class DataVersion:
    """How far the data has changed: a counter bumped by every write that changes what
    the site shows, and when that last happened. Web caching derives ETag and
    Last-Modified from it without reading the data itself."""

    version: int
    changed_at: datetime


AnnounceStatus = Literal["announced", "none"]


@dataclass(frozen=True, slots=True)
class AnnouncementDay:
    """Whether arXiv announced anything in one category on one day.

    ``none`` is a fact we fetched (weekend, holiday), not a gap in our data: the site
    says "arXiv did not announce on this day" instead of showing an empty page.
    """

    category: str
    day: date
    status: AnnounceStatus
    papers: int = 0  # entries in that day's listing (new, cross and replacements)
    fetched_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AnnouncementEntry:
    """One line of a daily listing: which paper, in which version, listed as what."""

    paper_id: str
    announce_type: str  # new | cross | replace | replace-cross
    version: int | None = None
    category: str = ""
    day: date | None = None


@dataclass(frozen=True, slots=True)
class SourceRun:
    """The last run of one source (``announcements``, ``oai:cs``, …) for ``/status``."""

    source: str
    status: str  # running | ok | failed
    last_started: datetime | None = None
    last_finished: datetime | None = None
    last_success: datetime | None = None
    last_failure: datetime | None = None
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    last_error: str | None = None
    runs: int = 0


@dataclass(frozen=True, slots=True)
class KeywordQuery:
    """A user's search text parsed into safe parts (see ``search/query.py``).

    Every word is a run of letters/digits as the parser found it, never engine syntax;
    the store quotes each one for its own query language.
    """

    any_terms: tuple[str, ...] = ()  # ranked: a paper needs at least one (or a required part)
    required: tuple[tuple[str, ...], ...] = ()  # "+word" or "a quoted phrase": must appear
    excluded: tuple[tuple[str, ...], ...] = ()  # "-word" or -"a phrase": must not appear
    prefixes: tuple[str, ...] = ()  # "word*": any word starting with it (ranked like any_terms)
    # The ranked words and prefixes as the user grouped them: words joined by ``OR`` share
    # a group, every other word is a group of its own; a prefix keeps its trailing "*"
    # (a parsed word never holds one). Only read when ``match_all`` is set.
    alternatives: tuple[tuple[str, ...], ...] = ()
    # Every group of ``alternatives`` must match (one of its words), instead of any ranked
    # word: what a listing sorted by date asks, as it has no ranking to push weak matches down.
    match_all: bool = False

    @property
    def empty(self) -> bool:
        return not (self.any_terms or self.required or self.prefixes)


RepositoryStatus = Literal["new", "ok", "gone", "invalid"]


@dataclass(frozen=True, slots=True)
class Repository:
    """A GitHub repository papers link to, as GitHub last described it.

    ``full_name`` is the name papers link it by (lower-case ``owner/name``);
    ``current_name`` is GitHub's own, which differs after a rename. ``status``: ``new``
    (never fetched), ``ok``, ``gone`` (deleted or blocked: 404, 410, 451) or
    ``invalid`` (not a name GitHub can hold). ``stars_week``: stars gained over the
    7 days before ``checked_at``, from the daily star snapshots. ``newest_day``: the
    newest listing day of a paper linking it."""

    full_name: str
    newest_day: date | None = None
    status: RepositoryStatus = "new"
    current_name: str | None = None
    html_url: str | None = None
    description: str | None = None
    stars: int | None = None
    forks: int | None = None
    open_issues: int | None = None
    pushed_at: datetime | None = None
    license: str | None = None
    archived: bool = False
    stars_week: int = 0
    etag: str | None = None
    checked_at: datetime | None = None
    next_check_at: datetime | None = None


HubKind = Literal["model", "dataset", "space"]
HUB_KINDS: tuple[HubKind, ...] = ("model", "dataset", "space")


@dataclass(frozen=True, slots=True)
class HubArtifact:
    """A Hugging Face Hub repository that cites a paper (the Hub tags it ``arxiv:ID``)."""

    kind: HubKind
    id: str  # owner/name, or a legacy name without owner
    likes: int = 0
    downloads: int | None = None  # Spaces have none


@dataclass(frozen=True, slots=True)
class HubLinks:
    """What the Hub said of one paper at ``checked_at``: how many models, datasets and
    Spaces cite it, and the most liked of each kind (``artifacts``, kind by kind, most
    liked first)."""

    checked_at: datetime
    models: int = 0
    datasets: int = 0
    spaces: int = 0
    artifacts: tuple[HubArtifact, ...] = ()

    def of_kind(self, kind: HubKind) -> list[HubArtifact]:
        return [a for a in self.artifacts if a.kind == kind]


@dataclass(frozen=True, slots=True)
class SignalPause:
    """A remote service asked us to wait (a rate limit): ``source`` runs again from
    ``resume_at``; ``reason`` says what it answered."""

    source: str
    resume_at: datetime
    reason: str = ""


Frequency = Literal["daily", "weekly"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekly")
SubscriptionStatus = Literal["pending", "confirmed", "unsubscribed"]
# What saving a subscription did: a new row; preferences changed; preferences held until
# the address confirms them; an unsubscribed address subscribed again; nothing (an
# unsubscribed address the caller may not subscribe again).
SaveOutcome = Literal["created", "updated", "held", "revived", "refused"]


@dataclass(frozen=True, slots=True)
class SubscriptionPrefs:
    """What a subscriber asked for: how often, and the digest's sections. ``exclude``
    holds words that hide a paper from every section."""

    frequency: Frequency = "daily"
    trending: bool = True
    categories: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # On a day arXiv did not announce: a one-line note instead of no mail at all.
    no_announcement_note: bool = False


@dataclass(frozen=True, slots=True)
class Subscription:
    """One address's digest subscription. Nothing is sent unless ``status`` is
    ``confirmed``; ``nonce`` is mixed into every signed link of the row, so a new one
    voids the links sent before."""

    id: int
    email: str
    frequency: Frequency
    trending: bool
    categories: list[str]
    queries: list[str]
    authors: list[str]
    exclude: list[str]
    status: SubscriptionStatus
    created_at: datetime
    confirmed_at: datetime | None = None
    user_id: int | None = None
    nonce: str = ""
    updated_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    # Preferences asked for without proof of owning the address, applied on confirming.
    pending_prefs: SubscriptionPrefs | None = None
    no_announcement_note: bool = False

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"

    @property
    def prefs(self) -> SubscriptionPrefs:
        return SubscriptionPrefs(
            frequency=self.frequency,
            trending=self.trending,
            categories=tuple(self.categories),
            queries=tuple(self.queries),
            authors=tuple(self.authors),
            exclude=tuple(self.exclude),
            no_announcement_note=self.no_announcement_note,
        )

OutboxStatus = Literal["pending", "sending", "sent", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One subscriber's digest of one period, as the outbox holds it. ``claimed_by``
    (a sender's ``new_owner`` name) holds it as ``sending`` until ``claimed_until``."""

    id: int
    subscription_id: int
    frequency: str
    period_key: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    message_id: str | None = None
    papers: int = 0


@dataclass(frozen=True, slots=True)
class LibraryItem:
    """A paper in a reader's library: its tags (normalised, in the reader's order) and
    a private note."""

    paper_id: str
    tags: tuple[str, ...]
    note: str
    saved_at: datetime
    updated_at: datetime
