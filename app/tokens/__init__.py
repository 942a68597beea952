"""What the token check reads: revoked ids, the user cache, user rows, personal access tokens."""
