"""Keyword, semantic and hybrid search; similar papers."""
