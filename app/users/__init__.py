"""Users: the account model and admin endpoints."""
