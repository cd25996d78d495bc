"""Site: a data-version counter for cheap ETag/Last-Modified, and indexes for listings.

``data_versions`` holds one row per kind of data the site shows (``papers`` here; other
parts may add rows and triggers of their own, e.g. votes). Triggers bump the row on every
write, so a web worker validates a cached page with one primary-key read.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    ts = "TIMESTAMPTZ" if postgres else "TEXT"
    now = "now()" if postgres else "CURRENT_TIMESTAMP"
    op.execute(
        f"""
        CREATE TABLE data_versions (
            name TEXT PRIMARY KEY,
            version BIGINT NOT NULL DEFAULT 0,
            changed_at {ts} NOT NULL DEFAULT {now}
        )
        """
    )
    op.execute("INSERT INTO data_versions (name, version) VALUES ('papers', 0)")
    if postgres:
        # One bump per statement: a bulk upsert of 10k rows costs one row update.
        op.execute(
            """
            CREATE FUNCTION paperwire_bump_data_version() RETURNS trigger AS $$
            BEGIN
                UPDATE data_versions SET version = version + 1, changed_at = now()
                WHERE name = TG_ARGV[0];
                RETURN NULL;
            END
            $$ LANGUAGE plpgsql
            """
        )
        for table in ("papers", "paper_categories", "paper_authors"):
            op.execute(
                f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION paperwire_bump_data_version('papers')"
            )
    else:
        # SQLite has row triggers only; paper rows change together with their
        # category/author rows, so the papers table alone is enough.
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER papers_data_version_{event.lower()} AFTER {event} ON papers "
                "BEGIN UPDATE data_versions SET version = version + 1, "
                "changed_at = CURRENT_TIMESTAMP WHERE name = 'papers'; END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for table in ("papers", "paper_categories", "paper_authors"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS paperwire_bump_data_version()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS papers_data_version_{event}")
    op.execute("DROP TABLE data_versions")
