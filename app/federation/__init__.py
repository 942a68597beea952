"""Sign-in with other providers: OpenID Connect issuers and GitHub, and linked identities."""
