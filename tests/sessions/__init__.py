"""Sign-in session tests."""
