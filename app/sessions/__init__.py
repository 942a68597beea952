"""Sign-in sessions: started by a login, rotated, listed and ended."""
