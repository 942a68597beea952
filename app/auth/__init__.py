"""Signing in: the login flow and its routes, the token pair and the check of every token."""
