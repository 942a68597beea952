"""Every audit action the service records, with what it means: the docs' list comes from here.

tests/audit/test_action_registry.py reads every `record_event(...)` call under app/ and
fails when an action is recorded but missing here, or listed here but never recorded;
docs/audit.md shows this table (tests/test_docs_site.py keeps the two equal). This module
imports nothing.
"""

ACTIONS: dict[str, str] = {
    "auth.registered": "Self-registration created the account.",
    "auth.registration_duplicate": (
        "An anonymous registration named a taken address while "
        "`REGISTRATION_REVEALS_ACCOUNTS=false`; the owner is mailed instead."),
    "auth.login": (
        "A sign-in ended with the token pair; `details.method` is `totp`, `recovery_code` "
        "or `passkey` when it was not the password alone, `provider` (with "
        "`details.provider`) for another identity provider."),
    "auth.login_failed": (
        "A sign-in was refused, committed on its own; `details.reason` (`unknown_email`, "
        "`wrong_password`, `inactive`, ...) and, for passkeys, `details.method`."),
    "auth.login_mfa_failed": (
        "A wrong TOTP or recovery code at `POST /auth/login/mfa`; `details.method`, "
        "never the code."),
    "auth.logout": "`POST /auth/logout` ended the caller's session.",
    "auth.refresh_reuse": (
        "A rotated refresh token came back after the grace period: its session was "
        "ended (`details.session`)."),
    "auth.password_changed": "`POST /auth/password` changed the password.",
    "auth.password_reset": (
        "A mailed reset (or invitation) link set a new password; `details` counts the "
        "sessions, tokens and second factors it ended."),
    "auth.email_verified": "A mailed link verified the address.",
    "auth.recovery_cleared": (
        "The first proof of an unverified mailbox removed what was added before it "
        "(passkeys, TOTP, personal tokens, sessions)."),
    "auth.email_changed": "A confirmed change of email took effect.",
    "identity.linked": (
        "An identity at another provider joined the account (`details.provider`, "
        "`details.identity`)."),
    "identity.unlinked": (
        "The user removed a linked identity (`details.provider`, `details.identity`)."),
    "session.revoked": (
        "The user ended one session (`details.session`) or every other one "
        "(`details.sessions`)."),
    "token.created": "A personal access token was created (`details.token`, `details.scopes`).",
    "token.revoked": "A personal access token was deleted (`details.token`).",
    "mfa.totp_enabled": "TOTP was confirmed and turned on.",
    "mfa.totp_disabled": "TOTP was turned off.",
    "mfa.recovery_codes_regenerated": "New recovery codes replaced the old ones.",
    "mfa.recovery_code_used": "A recovery code signed in (each works once).",
    "mfa.passkey_added": "A passkey was registered (`details.passkey`).",
    "mfa.passkey_removed": "A passkey was removed (`details.passkey`).",
    "admin.user_created": "An admin registered an account (`POST /auth/register` with a token).",
    "admin.user_invited": "An admin invited a user (`POST /users/invitations`).",
    "admin.user_updated": (
        "An admin changed a user's name, role or activity (deactivation included); "
        "`details.changes` is `{field: [old, new]}`."),
    "admin.sessions_revoked": "An admin ended every session of a user (`details.sessions`).",
    "admin.mfa_reset": "An admin removed a user's TOTP, recovery codes and passkeys.",
    "oauth.client_created": (
        "An admin registered an application with the OpenID Provider (`details.client`, "
        "`details.type`); never its secret."),
    "oauth.client_updated": (
        "An admin changed an application (`details.client`, `details.fields`: the names "
        "of the changed fields)."),
    "oauth.client_deleted": (
        "An admin removed an application, with every grant and token it held "
        "(`details.client`)."),
    "oauth.client_secret_rotated": (
        "An admin gave a confidential application a new secret; the old one stopped "
        "(`details.client`)."),
    "oauth.grant_created": (
        "The user first let an application in on the consent page (`details.client`, "
        "`details.scopes`)."),
    "oauth.grant_revoked": (
        "The user withdrew an application's grant, ending its tokens (`details.grant`)."),
    "account.deleted": (
        "The user deleted their own account (`details.files`: how many files went with "
        "it); the event keeps the numeric id."),
}


def as_markdown() -> str:
    """The table docs/audit.md shows (`python -m app.audit.actions` prints it)."""
    rows = [f"| `{action}` | {meaning} |" for action, meaning in ACTIONS.items()]
    return "\n".join(["| action | recorded when |", "|---|---|", *rows]) + "\n"


if __name__ == "__main__":
    print(as_markdown(), end="")
