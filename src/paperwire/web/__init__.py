"""HTTP layer: thin routes over domain functions."""
