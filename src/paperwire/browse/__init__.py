"""Browsing: what the site, the feeds and the APIs list — papers of a day, week or month,
of an author or a category — with one day semantics for all of them (``listing.py``)."""
