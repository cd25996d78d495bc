"""Code and artifact signals: GitHub repositories linked from papers, their daily star
snapshots, and the Hugging Face Hub models, datasets and Spaces that cite a paper.

- ``repositories``: one row per GitHub repository a paper links, keyed by the name
  papers link it by (``owner/name``, lower-case, as ``ingest/code_links.py`` writes
  ``https://github.com/owner/name``); what GitHub last said of it (``current_name``
  after a rename), its ``etag`` for conditional requests, ``status`` (``new``, ``ok``,
  ``gone`` after a 404/410/451, ``invalid`` for a name GitHub cannot hold),
  ``newest_day`` (the newest listing day of a paper linking it: newest papers are
  refreshed first and most often) and ``next_check_at`` (NULL: never checked, or
  linked by a newer paper since). The partial index ``repositories_new`` lists the
  never-checked newest paper first, ``repositories_due`` on ``(next_check_at, …)`` the
  due ones stalest first: "what is due" is read from the indexes alone.
- ``paper_repositories``: which papers link which repository. Kept by triggers on
  ``papers`` from the links JSON every upsert writes, in the same transaction, so it is
  exact whatever wrote the paper (upserts, bulk loads, announcements); the triggers
  fire only for rows with ``has_code = 1``, so papers without code cost one test.
- ``star_snapshots``: stars per repository per UTC day, primary key (repository, day):
  a second check the same day updates the day's row, never adds one.
- ``hub_checks`` / ``hub_artifacts``: when a paper was last looked up on the Hub, how
  many models, datasets and Spaces cite it, and the most liked of each kind.
  ``papers.hub_pending`` (1 until the first look-up) with the partial index
  ``papers_hub_pending`` lists never-checked arXiv papers newest first, so planning
  reads as many index entries as it plans, at any size.
- ``signal_sources``: per source (``github``, ``hub``), when it may run again after
  the remote side asked us to wait (rate limits).
- A ``signals`` row in ``data_versions``, bumped by writes that change what pages show.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = (
    "signal_sources",
    "hub_artifacts",
    "hub_checks",
    "star_snapshots",
    "paper_repositories",
    "repositories",
)

# What makes a link a GitHub repository the store tracks: a code link of exactly
# ``https://github.com/<owner>/<name>``. The same test is ``signals.github.github_name``;
# a test holds the two equal.
_GITHUB_PREFIX_LENGTH = len("https://github.com/")


def _sqlite_link_sql() -> tuple[str, str]:
    """The repository name of a link (a ``json_each`` row ``l`` of a paper's links),
    and the condition that the link is a GitHub repository."""
    url = "lower(json_extract(l.value, '$.url'))"
    name = f"substr({url}, {_GITHUB_PREFIX_LENGTH + 1})"
    cond = (
        f"json_extract(l.value, '$.kind') = 'code' "
        f"AND {url} GLOB 'https://github.com/?*/?*' "
        f"AND {url} NOT GLOB 'https://github.com/*/*/*'"
    )
    return name, cond


def _sqlite_triggers() -> None:
    name, cond = _sqlite_link_sql()
    link = (
        "INSERT INTO repositories (full_name, newest_day) "
        f"SELECT DISTINCT {name}, COALESCE(NEW.listed_day, '0001-01-01') "
        f"FROM json_each(NEW.links) AS l WHERE {cond} "
        "ON CONFLICT (full_name) DO UPDATE SET newest_day = excluded.newest_day, "
        "next_check_at = NULL WHERE excluded.newest_day > repositories.newest_day; "
        "INSERT INTO paper_repositories (paper_id, full_name) "
        f"SELECT DISTINCT NEW.id, {name} FROM json_each(NEW.links) AS l WHERE {cond} "
        "ON CONFLICT DO NOTHING; "
    )
    op.execute(
        "CREATE TRIGGER papers_repositories_insert AFTER INSERT ON papers "
        f"WHEN NEW.has_code = 1 BEGIN {link} END"
    )
    op.execute(
        "CREATE TRIGGER papers_repositories_update AFTER UPDATE OF links, listed_day, has_code "
        "ON papers WHEN NEW.has_code = 1 OR OLD.has_code = 1 BEGIN "
        "DELETE FROM paper_repositories WHERE paper_id = NEW.id; "
        f"{link} END"
    )


def _postgres_triggers() -> None:
    url = "lower(l->>'url')"
    name = f"substr({url}, {_GITHUB_PREFIX_LENGTH + 1})"
    cond = f"l->>'kind' = 'code' AND {url} ~ '^https://github\\.com/[^/]+/[^/]+$'"
    op.execute(
        f"""
        CREATE FUNCTION paperwire_link_repositories() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                DELETE FROM paper_repositories WHERE paper_id = NEW.id;
            END IF;
            IF NEW.has_code = 1 THEN
                INSERT INTO repositories (full_name, newest_day)
                SELECT DISTINCT {name}, COALESCE(NEW.listed_day, DATE '0001-01-01')
                FROM jsonb_array_elements(NEW.links::jsonb) AS l WHERE {cond}
                ON CONFLICT (full_name) DO UPDATE SET newest_day = excluded.newest_day,
                    next_check_at = NULL
                WHERE excluded.newest_day > repositories.newest_day;
                INSERT INTO paper_repositories (paper_id, full_name)
                SELECT DISTINCT NEW.id, {name}
                FROM jsonb_array_elements(NEW.links::jsonb) AS l WHERE {cond}
                ON CONFLICT DO NOTHING;
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    # Row triggers with a WHEN test: a row without code queues no trigger event (a
    # bulk load's COPY of millions of rows pays one comparison each).
    op.execute(
        "CREATE TRIGGER papers_repositories_insert AFTER INSERT ON papers FOR EACH ROW "
        "WHEN (NEW.has_code = 1) EXECUTE FUNCTION paperwire_link_repositories()"
    )
    op.execute(
        "CREATE TRIGGER papers_repositories_update AFTER UPDATE OF links, listed_day, has_code "
        "ON papers FOR EACH ROW WHEN (NEW.has_code = 1 OR OLD.has_code = 1) "
        "EXECUTE FUNCTION paperwire_link_repositories()"
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    ts = "TIMESTAMPTZ" if postgres else "TEXT"
    day = "DATE" if postgres else "TEXT"
    op.execute(
        f"""
        CREATE TABLE repositories (
            full_name TEXT PRIMARY KEY,
            status TEXT NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'ok', 'gone', 'invalid')),
            current_name TEXT,
            html_url TEXT,
            description TEXT,
            stars INTEGER,
            forks INTEGER,
            open_issues INTEGER,
            pushed_at {ts},
            license TEXT,
            archived INTEGER NOT NULL DEFAULT 0,
            stars_week INTEGER NOT NULL DEFAULT 0,
            etag TEXT,
            newest_day {day} NOT NULL,
            checked_at {ts},
            next_check_at {ts}
        )
        """
    )
    op.execute(
        "CREATE INDEX repositories_due ON repositories (next_check_at, newest_day, full_name)"
    )
    # Never checked, newest paper first: PostgreSQL cannot take an order from an index
    # whose leading column is only tested IS NULL, so these have an index of their own.
    op.execute(
        "CREATE INDEX repositories_new ON repositories (newest_day, full_name) "
        "WHERE next_check_at IS NULL"
    )
    op.execute(
        """
        CREATE TABLE paper_repositories (
            paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
            full_name TEXT NOT NULL REFERENCES repositories (full_name),
            PRIMARY KEY (paper_id, full_name)
        )
        """
    )
    op.execute("CREATE INDEX paper_repositories_repo ON paper_repositories (full_name, paper_id)")
    op.execute(
        f"""
        CREATE TABLE star_snapshots (
            full_name TEXT NOT NULL REFERENCES repositories (full_name) ON DELETE CASCADE,
            day {day} NOT NULL,
            stars INTEGER NOT NULL,
            PRIMARY KEY (full_name, day)
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE hub_checks (
            paper_id TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
            checked_at {ts} NOT NULL,
            next_check_at {ts} NOT NULL,
            models INTEGER NOT NULL DEFAULT 0,
            datasets INTEGER NOT NULL DEFAULT 0,
            spaces INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    op.execute("CREATE INDEX hub_checks_due ON hub_checks (next_check_at)")
    op.execute(
        """
        CREATE TABLE hub_artifacts (
            paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('model', 'dataset', 'space')),
            artifact_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            likes INTEGER NOT NULL DEFAULT 0,
            downloads INTEGER,
            PRIMARY KEY (paper_id, kind, artifact_id)
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE signal_sources (
            name TEXT PRIMARY KEY,
            resume_at {ts},
            reason TEXT NOT NULL DEFAULT ''
        )
        """
    )
    op.execute("ALTER TABLE papers ADD COLUMN hub_pending INTEGER NOT NULL DEFAULT 1")
    op.execute(
        "CREATE INDEX papers_hub_pending ON papers (listed_day, id) "
        "WHERE hub_pending = 1 AND source = 'arxiv'"
    )
    if postgres:
        _postgres_triggers()
    else:
        _sqlite_triggers()
    # Papers stored before this revision: their links, as the triggers would have made
    # them (an UPDATE that changes nothing fires the update trigger on both backends).
    op.execute("UPDATE papers SET has_code = has_code WHERE has_code = 1")
    op.execute("INSERT INTO data_versions (name, version) VALUES ('signals', 0)")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute("DELETE FROM data_versions WHERE name = 'signals'")
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS papers_repositories_insert ON papers")
        op.execute("DROP TRIGGER IF EXISTS papers_repositories_update ON papers")
        op.execute("DROP FUNCTION IF EXISTS paperwire_link_repositories()")
    else:
        op.execute("DROP TRIGGER IF EXISTS papers_repositories_insert")
        op.execute("DROP TRIGGER IF EXISTS papers_repositories_update")
    op.execute("DROP INDEX IF EXISTS papers_hub_pending")
    op.execute("ALTER TABLE papers DROP COLUMN hub_pending")
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
