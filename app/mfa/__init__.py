"""Multi-factor sign-in: TOTP with recovery codes, passkeys, and the two-step login."""
