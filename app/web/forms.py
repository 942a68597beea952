"""HTML form posts: one layer that turns API answers into what a browser can use.

The API endpoints accept form encodings already. When a form post prefers `text/html`
(a browser submitting a <form>), this layer answers instead of the JSON:
  - success: `303 See Other` to the form's `next` field (a path on this site only), or a
    small HTML result page when there is no `next`;
  - error: the form's own page again, with the problem's status, its sentence above the
    form, each field's errors beside the field and the typed values kept (never a
    password); a form with no page of its own gets an HTML page with the problem.
Any request that issues a token pair (sign-in, refresh) hands it to this layer
(`app.auth.tokens.issued_tokens`), which stores it in HttpOnly cookies (CSRF double submit
is Flask-JWT-Extended's); a sign-in form from another site is refused; signing out or
changing the password removes the cookies. Behaviour is keyed on endpoint names, never on
paths: tests/web/test_form_posts.py checks that every name here is a real endpoint.
JSON clients (curl, Postman, other services) never pass through here.
"""

from __future__ import annotations

import json
from urllib.parse import SplitResult, urlsplit

from flask import Flask, Response, current_app, redirect, render_template, request, url_for
from flask_jwt_extended import set_access_cookies, set_refresh_cookies, unset_jwt_cookies
from werkzeug.exceptions import HTTPException

from app.api import PROBLEM_CONTENT_TYPE
from app.auth.devices import set_device_cookie
from app.auth.tokens import issued_tokens
from app.exceptions import DomainError, Forbidden, InvalidField
from app.next_path import safe_next_path
from app.web.form_feedback import FormFeedback, kept_choices, kept_values, set_form_feedback
from app.web.mfa_pages import code_page_again, secret_page
from app.web.session import page_session

FORM_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANSWER_TYPES = ("application/json", PROBLEM_CONTENT_TYPE, "text/html")
NEXT_FIELD = "next"
# The sign-in endpoints (password, its second step, passkey) need no session yet, so no
# cookie CSRF double submit protects them.
SIGN_IN_ENDPOINTS = frozenset({"auth.Login", "auth.LoginMfa", "auth.PasskeyLoginVerify"})
# Endpoints whose success ends the browser's session.
SESSION_END_ENDPOINTS = frozenset({"auth.Logout", "account.Password", "web.DeleteAccountForm"})
# Plainer page titles than the HTTP reason phrase, where one helps a person.
HTML_TITLES = {422: "Please check the form", 409: "Already taken"}
# The page each form is on: a refused post shows that page again with the errors.
FORM_PAGES = {
    "auth.Login": "web.LoginPage",
    "account.Register": "web.RegisterPage",
    "email.PasswordForgot": "web.ForgotPasswordPage",
    "email.PasswordReset": "web.ResetPasswordPage",
    "email.VerifyEmail": "web.VerifyEmailPage",
    "email.EmailChangeConfirm": "web.ConfirmEmailPage",
    "files.Files": "web.FilesPage",
    "mfa.Totp": "web.ProfilePage",
    "mfa.RecoveryCodes": "web.ProfilePage",
    "web.DisableTotpForm": "web.ProfilePage",
    "web.RemovePasskeyForm": "web.ProfilePage",
    "web.UnlinkIdentityForm": "web.ProfilePage",
    "web.EndSessionForm": "web.ProfilePage",
    "web.DeleteAccountForm": "web.ProfilePage",
    "email.ResendVerification": "web.ProfilePage",
    "account.Password": "web.PasswordPage",
    "email.EmailChange": "web.EmailPage",
    "web.DetailsPage": "web.DetailsPage",
    "tokens.Tokens": "web.TokensPage",
    "web.RevokeTokenForm": "web.TokensPage",
    "web.DeleteFileForm": "web.FilesPage",
    "web.AdminUpdateUserForm": "web.AdminUserPage",
    "web.AdminEndSessionsForm": "web.AdminUserPage",
    "web.AdminResetMfaForm": "web.AdminUserPage",
}
# A form shown on more than one page names its page in a hidden `page` field: only these
# pages may be named, so a post can never render an arbitrary view.
OTHER_FORM_PAGES = {"email.PasswordReset": frozenset({"web.WelcomePage"})}
PAGE_FIELD = "page"
# Headers of the API answer that still matter to a browser on the HTML page.
KEPT_HEADERS = ("Retry-After", "Allow", "Location")


def is_html_form_post() -> bool:
    """True when a browser submits a form and wants HTML back."""
    if request.method not in WRITE_METHODS or request.mimetype not in FORM_CONTENT_TYPES:
        return False
    return request.accept_mimetypes.best_match(ANSWER_TYPES) == "text/html"


def continue_path() -> str:
    """Where a sign-in form goes when done: the page's safe `next` (query or form), else
    the profile (template global: the OpenID Provider sends browsers here and back)."""
    value = request.args.get(NEXT_FIELD) or _form_value(NEXT_FIELD)
    return safe_next_path(value) or url_for("web.ProfilePage")


def _form_value(name: str) -> str | None:
    try:
        return request.form.get(name)
    except HTTPException:  # the body itself was refused (413, 400): no form to read
        return None


def refuse_foreign_next() -> None:
    """Refuse a browser form whose `next` leaves the site, before the endpoint acts."""
    if not is_html_form_post():
        return
    value = _form_value(NEXT_FIELD)
    if value and safe_next_path(value) is None:
        raise InvalidField(NEXT_FIELD, "Must be a path on this site, such as /profile.")


def refuse_cross_site_sign_in() -> None:
    """Refuse a browser sign-in form posted from another site (login CSRF).

    Its cookies would sign the visitor into the account of whoever wrote that form.
    Browsers send Origin (or at least Referer) with every form POST; a request with
    neither is no cross-site form and passes. "Origin: null" (sandboxed frames) is refused.
    """
    if request.endpoint not in SIGN_IN_ENDPOINTS or not is_html_form_post():
        return
    source = request.headers.get("Origin") or request.referrer
    if source is None:
        return
    parts = _split_url(source)
    if parts is None or parts.netloc != request.host:
        raise Forbidden("Sign in from this site's own sign-in page.")


def answer_html_form(response: Response) -> Response:
    """Turn the API's answer to a browser form post into a redirect or an HTML page."""
    if not is_html_form_post() or 300 <= response.status_code < 400:
        return response
    if response.mimetype == "text/html":  # a page that answers its own form (OpenID consent)
        return response
    if response.status_code >= 400:
        return _error_page(response)
    page = secret_page(request.endpoint, _json_body(response))
    if page is not None:
        return page
    next_path = safe_next_path(_form_value(NEXT_FIELD))
    if next_path:
        answer = redirect(next_path, code=303)
    else:
        answer = Response(render_template(
            "web/result.html", ok=True, status=response.status_code, title="Done",
            detail="Your request was carried out.", errors={}, back=_back_path(),
            visitor=page_session(),
        ), status=200 if response.status_code == 204 else response.status_code)
        _keep_headers(response, answer)
    _carry_session(answer)
    return answer


def _error_page(response: Response) -> Response:
    problem = _json_body(response)
    detail = problem.get("detail") or "The request could not be carried out."
    errors = problem.get("errors") or {}
    fields = _form_fields()
    page = None if fields is None else _form_page_again(FormFeedback(
        endpoint=request.endpoint, detail=detail, errors=errors, values=kept_values(fields),
        choices=kept_choices(request.form.to_dict(flat=False))))
    if page is None:
        page = Response(render_template(
            "web/result.html", ok=False, status=response.status_code,
            title=HTML_TITLES.get(response.status_code) or problem.get("title") or "Error",
            detail=detail, errors=errors, back=_back_path(), visitor=page_session(),
        ), status=response.status_code)
    page.status_code = response.status_code
    _keep_headers(response, page)
    return page


def _form_page_again(feedback: FormFeedback) -> Response | None:
    # The form's page rendered by its own GET view, so it shows what it always shows;
    # None when the form has no page, or the page would not render (a 303 to /login
    # when the session cookie itself was refused, a 403 for a non-admin): the result
    # page says why instead.
    if request.endpoint == "auth.LoginMfa":
        return code_page_again(feedback)
    page_endpoint = FORM_PAGES.get(request.endpoint or "")
    if _form_value(PAGE_FIELD) in OTHER_FORM_PAGES.get(request.endpoint or "", ()):
        page_endpoint = _form_value(PAGE_FIELD)
    if page_endpoint is None:
        return None
    set_form_feedback(feedback)
    view_class = current_app.view_functions[page_endpoint].view_class
    try:
        page = current_app.make_response(view_class().get(**_page_arguments(page_endpoint)))
    except (DomainError, HTTPException):  # not this visitor's page (an admin page: 403)
        return None
    if page.status_code != 200 or page.mimetype != "text/html":
        return None
    return page


def _page_arguments(page_endpoint: str) -> dict:
    # A form of /admin/users/7 posts to /admin/users/7/update: its page takes the same
    # user_id. A page without path arguments (/profile) takes none of the form's.
    [rule] = current_app.url_map.iter_rules(page_endpoint)
    return {name: value for name, value in (request.view_args or {}).items()
            if name in rule.arguments}


def _form_fields() -> dict[str, str] | None:
    try:
        return request.form.to_dict()
    except HTTPException:  # the body itself was refused (413, 400): no form to show again
        return None


def _back_path() -> str | None:
    # The form's own page, so the visitor can correct the fields; never another site.
    referrer = _split_url(request.referrer or "")
    if referrer is None or referrer.netloc != request.host:
        return None
    return safe_next_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def _split_url(value: str) -> SplitResult | None:
    # Origin and Referer are client input: "http://[" makes urlsplit raise.
    try:
        return urlsplit(value)
    except ValueError:
        return None


def _carry_session(answer: Response) -> None:
    tokens = issued_tokens()
    if tokens is not None:
        set_access_cookies(answer, tokens["access_token"])
        set_refresh_cookies(answer, tokens["refresh_token"])
        set_device_cookie(answer)
    elif request.endpoint in SESSION_END_ENDPOINTS:
        unset_jwt_cookies(answer)


def _json_body(response: Response) -> dict:
    if not response.is_json or response.direct_passthrough:
        return {}
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _keep_headers(source: Response, target: Response) -> None:
    for name in KEPT_HEADERS:
        if name in source.headers:
            target.headers[name] = source.headers[name]


def init_form_posts(app: Flask) -> None:
    """Install the layer: `next` is checked before the endpoint, the answer after it."""
    app.before_request(refuse_foreign_next)
    app.before_request(refuse_cross_site_sign_in)
    app.after_request(answer_html_form)
