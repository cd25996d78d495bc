"""Community: accounts, votes, submissions, moderation, library, and the trending score."""
