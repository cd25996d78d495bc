"""Embeddings bump a data version of their own.

A paper's page shows its similar papers, found through the stored embeddings, and is
validated by the data version (``0004_site.py``): writing embeddings must change it, or
a client holding the page from before ``paperwire index`` ran keeps being told 304.
Every ``save_embeddings`` upserts its model's row in ``embedding_models`` in the same
transaction as the vectors, so a trigger there bumps the version once per batch, not
once per vector. Deleting a paper deletes its embeddings by cascade, and the paper's own
trigger bumps then.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.execute("INSERT INTO data_versions (name, version) VALUES ('embeddings', 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER embedding_models_data_version AFTER INSERT OR UPDATE OR DELETE "
            "ON embedding_models FOR EACH STATEMENT "
            "EXECUTE FUNCTION paperwire_bump_data_version('embeddings')"
        )
        return
    for event in EVENTS:
        op.execute(
            f"CREATE TRIGGER embedding_models_data_version_{event.lower()} "
            f"AFTER {event} ON embedding_models "
            "BEGIN UPDATE data_versions SET version = version + 1, "
            "changed_at = CURRENT_TIMESTAMP WHERE name = 'embeddings'; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS embedding_models_data_version ON embedding_models")
    else:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS embedding_models_data_version_{event.lower()}")
    op.execute("DELETE FROM data_versions WHERE name = 'embeddings'")
