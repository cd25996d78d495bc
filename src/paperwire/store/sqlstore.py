"""``SqlStore``: the store, one object made of parts with one job each, built on a
backend's ``Connections`` and ``Dialect`` (``factory.open_store`` puts them together).

Each ``Store`` method is its part's own method, bound here once, so callers keep
writing ``store.upsert_papers(…)`` while the parts never reach into each other: a part
that needs another (announcements write papers; the bulk load upserts papers and holds
a lease) is handed it when built.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from paperwire.store.accounts_sql import Accounts
from paperwire.store.announcements_sql import Announcements
from paperwire.store.bulk_sql import BulkLoad
from paperwire.store.comments_sql import Comments
from paperwire.store.dialect import Dialect
from paperwire.store.harvest_sql import Harvests
from paperwire.store.leases_sql import Leases
from paperwire.store.library_sql import Library
from paperwire.store.listing_sql import Listings
from paperwire.store.outbox_sql import Outbox
from paperwire.store.papers_sql import Papers
from paperwire.store.runs_sql import Runs
from paperwire.store.search_sql import Search
from paperwire.store.signals_sql import Signals
from paperwire.store.sql import Connections, Db
from paperwire.store.submissions_sql import Submissions
from paperwire.store.subscriptions_sql import Subscriptions
from paperwire.store.trending_sql import Trending
from paperwire.store.votes_sql import Votes


class SqlStore:
    """Implements ``Store`` on SQLite and PostgreSQL alike; contract tests run on both."""

    def __init__(self, connections: Connections, dialect: Dialect) -> None:
        self.connections = connections
        self.sql_dialect = dialect
        self.dialect = dialect.name
        self.papers = Papers(connections, dialect)
        self.listings = Listings(connections, dialect)
        self.search = Search(connections, dialect)
        self.announcements = Announcements(connections, dialect, papers=self.papers)
        self.runs = Runs(connections, dialect)
        self.signals = Signals(connections, dialect)
        self.harvests = Harvests(connections, dialect)
        self.leases = Leases(connections, dialect)
        self.submissions = Submissions(connections, dialect)
        self.library = Library(connections, dialect)
        self.bulk = BulkLoad(connections, dialect, papers=self.papers, leases=self.leases)
        self.comments = Comments(connections, dialect)
        self.subscriptions = Subscriptions(connections, dialect)
        self.outbox = Outbox(connections, dialect)
        self.accounts = Accounts(connections, dialect)
        self.votes = Votes(connections, dialect)
        self.trending = Trending(connections, dialect, listings=self.listings)

        self.upsert_papers = self.papers.upsert_papers
        self.delete_papers = self.papers.delete_papers
        self.get_paper = self.papers.get_paper
        self.get_papers = self.papers.get_papers
        self.latest_papers = self.papers.latest_papers
        self.count_papers = self.papers.count_papers
        self.paper_ids_by_doi = self.papers.paper_ids_by_doi

        self.save_library_item = self.library.save_library_item
        self.add_library_items = self.library.add_library_items
        self.remove_library_item = self.library.remove_library_item
        self.library_item = self.library.library_item
        self.library_items = self.library.library_items
        self.count_library_items = self.library.count_library_items
        self.library_holds = self.library.library_holds
        self.library_tag_counts = self.library.library_tag_counts

        self.list_papers = self.listings.list_papers
        self.count_listed = self.listings.count_listed
        self.listed_category_counts = self.listings.listed_category_counts
        self.newest_listed_day = self.listings.newest_listed_day
        self.adjacent_listed_days = self.listings.adjacent_listed_days
        self.data_version = self.listings.data_version

        self.keyword_ranking = self.search.keyword_ranking
        self.keyword_allowed = self.search.keyword_allowed
        self.refresh_keyword_index = self.search.refresh_keyword_index
        self.keyword_backlog = self.search.keyword_backlog
        self.papers_to_embed = self.search.papers_to_embed
        self.count_papers_to_embed = self.search.count_papers_to_embed
        self.save_embeddings = self.search.save_embeddings
        self.ensure_vector_index = self.search.ensure_vector_index
        self.count_embeddings = self.search.count_embeddings
        self.embedding_model = self.search.embedding_model
        self.embedding_dim = self.search.embedding_dim
        self.get_embedding = self.search.get_embedding
        self.nearest_papers = self.search.nearest_papers
        self.embeddings_after = self.search.embeddings_after
        self.vectors_for_seqs = self.search.vectors_for_seqs

        self.record_announcement_day = self.announcements.record_announcement_day
        self.announcement_status = self.announcements.announcement_status
        self.announcement_days = self.announcements.announcement_days
        self.announcement_entries = self.announcements.announcement_entries
        self.repositories_due = self.signals.repositories_due
        self.save_repository = self.signals.save_repository
        self.get_repository = self.signals.get_repository
        self.repositories_for_papers = self.signals.repositories_for_papers
        self.star_snapshots = self.signals.star_snapshots
        self.count_repositories = self.signals.count_repositories
        self.starred_papers = self.signals.starred_papers
        self.hub_papers_due = self.signals.hub_papers_due
        self.save_hub_links = self.signals.save_hub_links
        self.hub_links_for_papers = self.signals.hub_links_for_papers
        self.count_hub_checked = self.signals.count_hub_checked
        self.signal_pause = self.signals.signal_pause
        self.set_signal_pause = self.signals.set_signal_pause


        self.start_source_run = self.runs.start_source_run
        self.finish_source_run = self.runs.finish_source_run
        self.get_source_run = self.runs.get_source_run
        self.source_runs = self.runs.source_runs

        self.get_harvest = self.harvests.get_harvest
        self.start_harvest = self.harvests.start_harvest
        self.advance_harvest = self.harvests.advance_harvest
        self.complete_harvest = self.harvests.complete_harvest

        self.acquire_lease = self.leases.acquire_lease
        self.lease_holder = self.leases.lease_holder
        self.release_lease = self.leases.release_lease

        self.bulk_load_writers = self.bulk.bulk_load_writers
        self.begin_bulk_load = self.bulk.begin_bulk_load
        self.insert_bulk_rows = self.bulk.insert_bulk_rows
        self.upsert_bulk_rows = self.bulk.upsert_bulk_rows
        self.end_bulk_load = self.bulk.end_bulk_load
        self.restore_bulk_load = self.bulk.restore_bulk_load

        self.save_subscription = self.subscriptions.save_subscription
        self.get_subscription = self.subscriptions.get_subscription
        self.subscription_by_email = self.subscriptions.subscription_by_email
        self.confirm_subscription = self.subscriptions.confirm_subscription
        self.update_subscription_prefs = self.subscriptions.update_subscription_prefs
        self.unsubscribe = self.subscriptions.unsubscribe
        self.confirmed_subscriptions = self.subscriptions.confirmed_subscriptions
        self.list_subscriptions = self.subscriptions.list_subscriptions
        self.count_subscriptions = self.subscriptions.count_subscriptions

        self.plan_digests = self.outbox.plan_digests
        self.due_digests = self.outbox.due_digests
        self.claim_digest = self.outbox.claim_digest
        self.finish_digest_sent = self.outbox.finish_digest_sent
        self.finish_digest_skipped = self.outbox.finish_digest_skipped
        self.finish_digest_failed = self.outbox.finish_digest_failed
        self.retry_digest = self.outbox.retry_digest
        self.sent_digest_papers = self.outbox.sent_digest_papers
        self.outbox_entry = self.outbox.outbox_entry
        self.outbox_statuses = self.outbox.outbox_statuses
        self.outbox_counts = self.outbox.outbox_counts
        self.latest_digest_period = self.outbox.latest_digest_period
        self.next_digest_attempt = self.outbox.next_digest_attempt

        self.ensure_user = self.accounts.ensure_user
        self.get_user = self.accounts.get_user
        self.get_user_by_email = self.accounts.get_user_by_email
        self.list_users = self.accounts.list_users
        self.set_user_role = self.accounts.set_user_role
        self.set_user_name = self.accounts.set_user_name
        self.record_sign_in = self.accounts.record_sign_in
        self.add_login_token = self.accounts.add_login_token
        self.consume_login_token = self.accounts.consume_login_token
        self.add_session = self.accounts.add_session
        self.session_user = self.accounts.session_user
        self.delete_session = self.accounts.delete_session
        self.delete_user_sessions = self.accounts.delete_user_sessions
        self.add_api_token = self.accounts.add_api_token
        self.api_token_user = self.accounts.api_token_user
        self.touch_api_token = self.accounts.touch_api_token
        self.list_api_tokens = self.accounts.list_api_tokens
        self.revoke_api_token = self.accounts.revoke_api_token
        self.add_audit_entry = self.accounts.add_audit_entry
        self.audit_entries = self.accounts.audit_entries
        self.hit_rate_window = self.accounts.hit_rate_window

        self.add_comment = self.comments.add_comment
        self.get_comment = self.comments.get_comment
        self.paper_comments = self.comments.paper_comments
        self.edit_comment = self.comments.edit_comment
        self.delete_comment = self.comments.delete_comment
        self.set_comment_hidden = self.comments.set_comment_hidden
        self.flag_comment = self.comments.flag_comment
        self.flagged_comments = self.comments.flagged_comments

        self.add_submission = self.submissions.add_submission
        self.get_submission = self.submissions.get_submission
        self.submission_for_paper = self.submissions.submission_for_paper
        self.list_submissions = self.submissions.list_submissions
        self.count_submissions = self.submissions.count_submissions
        self.decide_submission = self.submissions.decide_submission
        self.submitted_papers = self.submissions.submitted_papers

        self.vote = self.votes.vote
        self.unvote = self.votes.unvote
        self.card_stats = self.votes.card_stats
        self.reader_marks = self.votes.reader_marks
        self.set_user_trusted = self.votes.set_user_trusted

        self.trending_signals = self.trending.trending_signals
        self.trending_tail = self.trending.trending_tail

    def _reading(self) -> AbstractContextManager[Db]:
        """A reader, for tests and benchmarks that look at the database directly."""
        return self.connections.reading()

    def _writing(self) -> AbstractContextManager[Db]:
        """A write transaction, for tests and benchmarks that change the database directly."""
        return self.connections.writing()

    def close(self) -> None:
        self.sql_dialect.close()
        self.connections.close()
