"""Email digests and the mail every part of paperwire sends (see mailer.py)."""
