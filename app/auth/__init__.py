"""Registration, login, tokens and the signed-in user."""
