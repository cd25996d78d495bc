"""Search indexes: keyword index (FTS5 / tsvector) and embeddings (vectors).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # --- keyword index (search-keyword) ------------------------------------------------

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
