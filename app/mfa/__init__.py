"""Second factors: TOTP with recovery codes, and passkeys. Verdicts only: the login flow
(app.auth) asks, and it alone issues tokens."""
