"""Revocation, user cache and personal access token tests."""
