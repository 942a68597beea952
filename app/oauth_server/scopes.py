"""The scopes an application may ask for, and how the consent page says each in words."""

from __future__ import annotations

from app.scopes import Scope

OPENID, PROFILE, EMAIL, OFFLINE = "openid", "profile", "email", "offline_access"
# OpenID Connect's own scopes, then the personal-token scopes (app.scopes) an application
# may be allowed so that it calls Signet's API for the user.
DESCRIPTIONS = {
    OPENID: "Know who you are on Signet",
    PROFILE: "See your name and profile picture",
    EMAIL: "See your email address and whether it is verified",
    OFFLINE: "Stay connected while you are away (a refresh token)",
    Scope.PROFILE_READ.value: "Read your Signet profile through the API",
    Scope.PROFILE_WRITE.value: "Change your Signet profile",
    Scope.FILES_READ.value: "Read and download your files",
    Scope.FILES_WRITE.value: "Upload, share and delete your files",
    Scope.USERS_READ.value: "See every user's account (administrators only)",
    Scope.USERS_WRITE.value: "Change and deactivate users' accounts (administrators only)",
}
SUPPORTED = tuple(DESCRIPTIONS)


def describe(scopes: list[str]) -> list[dict]:
    """Each scope with its sentence, in the order of DESCRIPTIONS."""
    return [{"scope": scope, "text": DESCRIPTIONS[scope]}
            for scope in SUPPORTED if scope in scopes]


def normalise(scope: str | None) -> str:
    """A scope string with known scopes only, each once, in a fixed order."""
    asked = set((scope or "").split())
    return " ".join(scope for scope in SUPPORTED if scope in asked)
