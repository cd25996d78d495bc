"""Search indexes: the keyword index (FTS5 / tsvector) and embeddings (vectors).

SQLite: a contentless FTS5 table ``papers_fts`` keyed by ``papers.rowid`` (title,
author names, abstract; porter stemming, diacritics folded). Tokenising an abstract
costs about 100 µs, several times what the rest of an insert costs, so new rows are
indexed in batches after they are written rather than by a per-row trigger:
``search_state.papers_fts_rowid`` is the highest ``papers.rowid`` indexed (new rows
always get a higher rowid), and ``store.refresh_keyword_index()`` indexes the rest.
Updates and deletes of indexed rows are kept exact by triggers (a contentless FTS5 row
can only be removed by presenting the text that was indexed, which only the trigger
still has); an updated row is queued in ``search_pending`` for re-indexing. VACUUM keeps
the rowids of ``papers`` (a test checks it).

PostgreSQL: a stored generated ``tsvector`` column ``papers.search_tsv`` (title A,
authors B, abstract C; ``english`` configuration) with a GIN index, always current.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


# The author names of a papers row, as indexed. The 'delete' of a contentless FTS5 row
# must present exactly the text that was indexed, so insert and delete share this.
_SQLITE_AUTHORS = "(SELECT group_concat(j.value ->> 'name', ' ') FROM json_each({row}.authors) AS j)"


def _sqlite_fts_values(row: str) -> str:
    return f"{row}.rowid, {row}.title, {_SQLITE_AUTHORS.format(row=row)}, {row}.abstract"


def _upgrade_keyword_sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE papers_fts USING fts5("
        "title, authors, abstract, content='', "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    op.execute("CREATE TABLE search_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    op.execute("CREATE TABLE search_pending (doc INTEGER PRIMARY KEY)")
    indexed = (
        "old.rowid <= (SELECT value FROM search_state WHERE name = 'papers_fts_rowid') "
        "AND NOT EXISTS (SELECT 1 FROM search_pending WHERE doc = old.rowid)"
    )
    forget_old = (
        "INSERT INTO papers_fts (papers_fts, rowid, title, authors, abstract) "
        f"SELECT 'delete', {_sqlite_fts_values('old')} WHERE {indexed}; "
    )
    op.execute(
        "CREATE TRIGGER papers_fts_after_update AFTER UPDATE OF title, authors, abstract "
        f"ON papers BEGIN {forget_old}"
        "INSERT INTO search_pending (doc) SELECT old.rowid "
        "WHERE old.rowid <= (SELECT value FROM search_state WHERE name = 'papers_fts_rowid') "
        "ON CONFLICT DO NOTHING; END"
    )
    # Deleting the newest rows lowers the mark, so a reused rowid is indexed again.
    op.execute(
        f"CREATE TRIGGER papers_fts_after_delete AFTER DELETE ON papers BEGIN {forget_old}"
        "DELETE FROM search_pending WHERE doc = old.rowid; "
        "UPDATE search_state SET value = (SELECT coalesce(max(rowid), 0) FROM papers) "
        "WHERE name = 'papers_fts_rowid' AND value > (SELECT coalesce(max(rowid), 0) FROM papers); "
        "END"
    )
    # Rows that existed before this revision.
    op.execute(
        "INSERT INTO papers_fts (rowid, title, authors, abstract) "
        f"SELECT {_sqlite_fts_values('papers')} FROM papers"
    )
    op.execute(
        "INSERT INTO search_state (name, value) "
        "SELECT 'papers_fts_rowid', coalesce(max(rowid), 0) FROM papers"
    )


def _upgrade_keyword_postgres() -> None:
    # Adding a stored generated column computes it for existing rows.
    op.execute(
        """
        ALTER TABLE papers ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
            || setweight(to_tsvector('english'::regconfig,
                   coalesce(jsonb_path_query_array(authors::jsonb, '$[*].name')::text, '')), 'B')
            || setweight(to_tsvector('english'::regconfig, coalesce(abstract, '')), 'C')
        ) STORED
        """
    )
    op.execute("CREATE INDEX papers_search_tsv ON papers USING gin (search_tsv)")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # --- keyword index (search-keyword) ------------------------------------------------
    if dialect == "postgresql":
        _upgrade_keyword_postgres()
    else:
        _upgrade_keyword_sqlite()

    # --- embeddings (search-vectors) ---------------------------------------------------
    # One row per (model, paper). ``seq`` is the integer key of the ANN index (usearch on
    # SQLite); a re-embedded paper gets a new row, so an index can tell what it covers
    # by the highest seq it has seen. ``fingerprint`` is the paper's fingerprint when it
    # was embedded: a changed paper is embedded again.
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
        op.execute(
            """
            CREATE TABLE paper_embeddings (
                seq BIGSERIAL PRIMARY KEY,
                paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
                model TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                vector vector NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                UNIQUE (model, paper_id)
            )
            """
        )
        # The HNSW index needs a fixed dimension, so it is created per model, as a
        # partial index, by the store when a model's first vectors are written.
        ts = "TIMESTAMPTZ NOT NULL DEFAULT now()"
    else:
        op.execute(
            """
            CREATE TABLE paper_embeddings (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
                model TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                vector BLOB NOT NULL,
                created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
                UNIQUE (model, paper_id)
            )
            """
        )
        ts = "TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP"
    op.execute("CREATE INDEX paper_embeddings_paper ON paper_embeddings (paper_id)")
    op.execute(
        f"""
        CREATE TABLE embedding_models (
            model TEXT PRIMARY KEY,
            dim INTEGER NOT NULL,
            updated_at {ts}
        )
        """
    )
    # --- end embeddings ----------------------------------------------------------------


def downgrade() -> None:
    # --- embeddings (search-vectors) ---
    op.execute("DROP TABLE IF EXISTS embedding_models")
    op.execute("DROP TABLE IF EXISTS paper_embeddings")
    # --- keyword index (search-keyword) ---
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS papers_search_tsv")
        op.execute("ALTER TABLE papers DROP COLUMN IF EXISTS search_tsv")
    else:
        for trigger in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS papers_fts_after_{trigger}")
        for table in ("search_pending", "search_state", "papers_fts"):
            op.execute(f"DROP TABLE IF EXISTS {table}")
