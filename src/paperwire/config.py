"""Settings, read from the environment (prefix ``PAPERWIRE_``). Built once, passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAPERWIRE_", env_file=None, extra="ignore")

    database_url: str = Field(
        default="sqlite:///./paperwire.db",
        description="sqlite:///path/to/file.db or postgresql://user@host/db",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    load_sample: bool = Field(
        default=True, description="Load the bundled sample when the database is empty."
    )
    data_dir: Path = Field(
        default=Path("./data"), description="Caches (converted models, vector indexes)."
    )
    site_name: str = "paperwire"

    # --- network sources (arXiv API, OAI-PMH) -------------------------------------
    arxiv_api_url: str = Field(
        default="https://export.arxiv.org/api/query", description="arXiv API endpoint."
    )
    arxiv_api_delay: float = Field(
        default=3.0, ge=0, description="Seconds between arXiv API requests (arXiv asks for 3)."
    )
    oai_url: str = Field(
        default="https://oaipmh.arxiv.org/oai", description="arXiv OAI-PMH 2.0 endpoint."
    )
    oai_delay: float = Field(default=3.0, ge=0, description="Seconds between OAI-PMH requests.")
    http_timeout: float = Field(
        default=30.0, gt=0, description="Deadline of every whole request (body included), s."
    )
    http_max_retries: int = Field(
        default=4, ge=0, description="Retries on 429, 5xx, timeouts and dropped connections."
    )
    http_backoff: float = Field(
        default=5.0, ge=0, description="First retry wait in seconds, doubled on each retry."
    )
    http_max_wait: float = Field(
        default=600.0, ge=0, description="Longest Retry-After we wait out before giving up."
    )
    http_max_response_bytes: int = Field(
        default=64 * 1024 * 1024,
        gt=0,
        description="Largest response body read from a network source; a larger one is an error.",
    )
    http_max_redirects: int = Field(
        default=5, ge=0, description="Redirects followed per request (http/https only)."
    )
    oai_max_pages: int = Field(
        default=1000,
        ge=1,
        description="OAI-PMH pages one harvest run fetches at most; the next run continues.",
    )

    # --- search -------------------------------------------------------------------------
    embedder: Literal["onnx", "sentence", "hash"] = Field(
        default="onnx",
        description="onnx: fast, converted once into data_dir/models; sentence: "
        "sentence-transformers fp32 (reference, slow); hash: instant, for tests only.",
    )
    onnx_recipe: Literal["int8", "int8-s8", "int8-tensor", "fp32-opt", "fp32"] = Field(
        default="int8", description="How the ONNX embedder's model is converted."
    )
    embed_threads: int = Field(
        default=0,
        ge=0,
        description="CPU threads for embedding; 0 = all the CPUs this process may use.",
    )
    embed_workers: int = Field(
        default=1,
        ge=0,
        description="ONNX embedder: length-sorted batches run at once, sharing the threads; "
        "1 = one multi-threaded run at a time (fastest on an idle machine), 0 = one "
        "single-threaded run per thread (faster on a busy machine; docs/benchmarks.md).",
    )
    vector_ann_threshold: int = Field(
        default=10_000,
        ge=1,
        description="SQLite: vectors of one model beyond which `paperwire index` builds an "
        "HNSW index (usearch) under data_dir/vectors; below it search is exact (sqlite-vec).",
    )

    # --- daily announcements and the worker -------------------------------------------
    announcements_url: str = Field(
        default="https://rss.arxiv.org/rss",
        description="Base of arXiv's per-category listing feeds; <base>/<category> is fetched "
        "(RSS 2.0 or Atom, e.g. .../atom).",
    )
    announcements_delay: float = Field(
        default=3.0, ge=0, description="Seconds between listing-feed requests."
    )
    worker_sources: str = Field(
        default="announcements:cs.AI,cs.CL,cs.CV,cs.LG@1h",
        description="Jobs `paperwire worker` runs: 'kind[:args][@interval]' separated by ';'.",
    )
    worker_interval: str = Field(
        default="1h", description="Interval of a worker job that names none (30m, 6h, 1d)."
    )
    worker_oai_first_days: int = Field(
        default=3,
        ge=0,
        description="A worker OAI job's first harvest of a set starts this many days back.",
    )

    # --- code and artifact signals (GitHub, Hugging Face Hub) ---------------------------
    github_api_url: str = Field(
        default="https://api.github.com", description="GitHub REST API endpoint."
    )
    github_token: SecretStr = Field(
        default=SecretStr(""),
        description="GitHub token (read-only, no scopes needed) for 5,000 requests an hour "
        "instead of 60; sent only to PAPERWIRE_GITHUB_API_URL, never logged or shown.",
    )
    github_delay: float = Field(
        default=0.75,
        ge=0,
        description="Seconds between GitHub requests (0.75: under 5,000 an hour).",
    )
    hf_endpoint: str = Field(
        default="https://huggingface.co",
        description="Hugging Face Hub whose models, datasets and Spaces citing a paper "
        "are looked up (and linked to).",
    )
    hf_delay: float = Field(default=1.0, ge=0, description="Seconds between Hub requests.")

    # --- site ---------------------------------------------------------------------------
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The site's public address: every absolute link (feeds, Markdown, mail).",
    )
    allowed_hosts: str = Field(
        default="",
        description="Comma-separated Host header values the site answers; empty = the base "
        "URL's host plus localhost and 127.0.0.1. '*' allows any (not recommended).",
    )
    query_timeout: float = Field(
        default=10.0,
        ge=0,
        description="Seconds one database statement of a web request may run; past it the "
        "request answers 503 with Retry-After. 0 = no limit.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, gt=0, description="Largest request body the site accepts (413)."
    )
    cache_max_age: int = Field(
        default=60,
        ge=0,
        description="Seconds a browser or proxy may reuse a page, feed or API answer "
        "without asking again (Cache-Control max-age; ETag/304 revalidation after that).",
    )
    page_cache_pages: int = Field(
        default=256,
        ge=0,
        description="Rendered pages each web worker keeps per data version (listing, "
        "trending, author, category and about pages; signed out, and apart from them the "
        "pages signed-in readers share). 0 = none kept: every page is rendered per request.",
    )

    # --- mail and secrets ---------------------------------------------------------------
    smtp_host: str = Field(
        default="",
        description="SMTP server that sends mail; empty = no SMTP: each message is written "
        "to the log (logger paperwire.mail) instead.",
    )
    smtp_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="SMTP port; 0 = by security: 25 (none), 587 (starttls), 465 (tls).",
    )
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="starttls",
        description="none: plain SMTP; starttls: upgrade with STARTTLS (587); tls: "
        "implicit TLS (465). Certificates are verified in both TLS modes.",
    )
    smtp_username: str = Field(default="", description="SMTP AUTH user; empty = no AUTH.")
    smtp_password: SecretStr = Field(
        default=SecretStr(""), description="SMTP AUTH password; never logged or shown."
    )
    smtp_timeout: float = Field(
        default=30.0, gt=0, description="Seconds each step of an SMTP exchange may take."
    )
    mail_from: str = Field(
        default="paperwire <paperwire@localhost>", description="From: of every message."
    )
    digest_workers: int = Field(
        default=0,
        ge=0,
        le=16,
        description="Sender processes of a digest send; 0 = one per CPU, at most 4.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key that signs cookies and links; empty = generated once into "
        "data_dir/secret_key (mode 0600) and read back on later starts.",
    )

    session_days: int = Field(
        default=30,
        ge=1,
        le=366,
        description="Days a sign-in lasts (the session cookie and its server-side row); "
        "signing out ends it earlier.",
    )

    # --- community submissions ----------------------------------------------------------
    submissions_per_day: int = Field(
        default=10,
        ge=0,
        description="Papers one account may submit per UTC day (a paper already "
        "submitted merges and does not count); 0 = no limit.",
    )
    submission_max_age_days: int = Field(
        default=14,
        ge=0,
        description="Oldest paper that may be submitted, in days since its first "
        "version; older ones are refused. 0 = no limit.",
    )

    # --- votes and trending ----------------------------------------------------------------
    vote_trust_hours: int = Field(
        default=24,
        ge=0,
        le=24 * 365,
        description="Hours after an account is created before its votes weigh in the "
        "trending score (a moderator's verification counts at once); the upvote count "
        "shown is always every vote. 0 = every account at once.",
    )
    vote_burst_limit: int = Field(
        default=5,
        ge=0,
        description="Votes on one paper from one address within an hour that weigh as "
        "usual; later ones weigh in trending only once a moderator verifies their "
        "accounts. 0 = no such rule.",
    )

    @field_validator("secret_key")
    @classmethod
    def _secret_key_strong(cls, value: SecretStr) -> SecretStr:
        # A short key makes every signed cookie and link guessable; refuse it at start.
        if value.get_secret_value() and len(value.get_secret_value()) < 32:
            raise ValueError("PAPERWIRE_SECRET_KEY must be at least 32 characters")
        return value

    def smtp_port_or_default(self) -> int:
        """The SMTP port: ``smtp_port`` when set, else the usual one for the security mode."""
        return self.smtp_port or {"none": 25, "starttls": 587, "tls": 465}[self.smtp_security]

    def trusted_hosts(self) -> list[str]:
        """Host header values the site answers: ``allowed_hosts`` when set, else the base
        URL's host with localhost, so a forged Host never reaches a link we build."""
        if self.allowed_hosts.strip():
            return [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]
        from urllib.parse import urlsplit

        own = (urlsplit(self.base_url).hostname or "127.0.0.1").lower()
        return sorted({own, "localhost", "127.0.0.1", "::1"})

    def public_url(self, path: str) -> str:
        """An absolute link to ``path`` on this site, built from ``base_url`` only."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")
