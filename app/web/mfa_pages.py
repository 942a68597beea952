"""HTML answers to the form posts whose JSON carries something to show once.

The sign-in form continues to a code form when MFA is on; the TOTP set-up shows its QR
code and asks for a first code; confirming it (or regenerating) shows the recovery codes;
a new personal access token shows its secret. These pages hold secrets: never cached.
"""

from __future__ import annotations

from flask import Response, render_template

from app.web.form_feedback import FormFeedback, set_form_feedback
from app.web.session import page_session

LOGIN_ENDPOINT = "auth.Login"
SETUP_ENDPOINT = "mfa.Totp"
CODES_ENDPOINTS = frozenset({"mfa.TotpConfirm", "mfa.RecoveryCodes"})
PERSONAL_TOKEN_ENDPOINT = "tokens.Tokens"  # noqa: S105 - an endpoint name


def secret_page(endpoint: str | None, body: dict) -> Response | None:
    """The page for this successful form post, or None when a redirect will do."""
    if endpoint == LOGIN_ENDPOINT and body.get("mfa_required"):
        html = render_template("web/mfa_code.html", visitor=None,
                               mfa_token=body.get("mfa_token", ""))
    elif endpoint == SETUP_ENDPOINT and "qrSvg" in body:
        html = render_template("web/totp_setup.html", visitor=page_session(),
                               secret=body["secret"], qr_svg=body["qrSvg"])
    elif endpoint in CODES_ENDPOINTS and "recoveryCodes" in body:
        html = render_template("web/recovery_codes.html", visitor=page_session(),
                               codes=body["recoveryCodes"])
    elif endpoint == PERSONAL_TOKEN_ENDPOINT and "token" in body:
        html = render_template("web/token_created.html", visitor=page_session(), token=body)
    else:
        return None
    return _never_cached(html)


def code_page_again(feedback: FormFeedback) -> Response:
    """The code form again after a refused code, with the same sign-in token."""
    set_form_feedback(feedback)
    return _never_cached(render_template("web/mfa_code.html", visitor=None,
                                         mfa_token=feedback.values.get("mfa_token", "")))


def _never_cached(html: str) -> Response:
    page = Response(html, status=200, mimetype="text/html")
    page.headers["Cache-Control"] = "no-store"
    return page
