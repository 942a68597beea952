"""Account lifecycle tests."""
