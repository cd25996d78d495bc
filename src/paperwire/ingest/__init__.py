"""Sources → ``Paper`` objects → ``Store.upsert_papers``."""
