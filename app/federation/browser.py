"""The browser side of provider sign-in: start, callback and link, as HTTP answers.

A sign-in ends like the form login: a 303 to `next` with the same HttpOnly token cookies
(CSRF double submit included) and device cookie, or the code page when TOTP is on.
Failures are domain errors: app.web shows them to browsers as pages, others get problems.
"""

from __future__ import annotations

from flask import Response, after_this_request, redirect, render_template, url_for
from flask_jwt_extended import (
    get_current_user,
    set_access_cookies,
    set_refresh_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import PyJWTError

from app.auth.devices import set_device_cookie
from app.exceptions import InvalidField, ProviderSignInFailed, Unauthorized
from app.federation.client import exchange_code, github_user, verify_id_token
from app.federation.flow import (
    clear_flow_cookie,
    finish_flow,
    redirect_uri,
    set_flow_cookie,
    start_flow,
)
from app.federation.service import link_identity, sign_in_with_provider
from app.federation.settings import get_provider
from app.next_path import safe_next_path
from app.users.models import User
from app.users.reauth import signed_in_recently

CANCELLED = ("The provider did not sign you in (you may have cancelled, or it refused): "
             "nothing was changed. You can start again.")


def _next_or_default(value: str | None, default_endpoint: str) -> str:
    if value is None:
        return url_for(default_endpoint)
    path = safe_next_path(value)
    if path is None:
        raise InvalidField("next", "Must be a path on this site, such as /profile.")
    return path


def start(provider_id: str, *, next_path: str | None) -> Response:
    """302 to the provider's sign-in page, the flow bound to this browser."""
    provider = get_provider(provider_id)
    target = _next_or_default(next_path, "web.ProfilePage")
    url, cookie = start_flow(provider, next_path=target)
    response = redirect(url, code=302)
    set_flow_cookie(response, cookie)
    return response


def start_link(provider_id: str, *, user: User, next_path: str | None) -> Response:
    """302 to the provider to link an identity to `user` (a recent sign-in only)."""
    provider = get_provider(provider_id)
    target = _next_or_default(next_path, "web.ProfilePage")
    if not signed_in_recently():
        raise Unauthorized("Linking needs a recent sign-in: sign out, sign in again, then "
                           "link within a few minutes.")
    url, cookie = start_flow(provider, next_path=target, link_user_id=user.id)
    response = redirect(url, code=302)
    set_flow_cookie(response, cookie)
    return response


def callback(provider_id: str, *, code: str | None = None, state: str | None = None,
             error: str | None = None, error_description: str | None = None) -> Response:
    """Finish the flow: sign in (or link), whatever the outcome forget it in the browser."""
    provider = get_provider(provider_id)

    @after_this_request
    def forget_flow(response: Response) -> Response:
        clear_flow_cookie(response)
        return response

    flow = finish_flow(provider, state)  # spent before anything else: used once
    if error or not code:
        raise ProviderSignInFailed(CANCELLED)
    token = exchange_code(provider, code=code, redirect_uri=redirect_uri(provider),
                          code_verifier=flow.code_verifier)
    if provider.is_github:
        person = github_user(provider, token["access_token"])
    else:
        if not isinstance(token.get("id_token"), str):
            raise ProviderSignInFailed("The provider answered no ID token; start again.")
        person = verify_id_token(provider, token["id_token"], nonce=flow.nonce,
                                 access_token=token["access_token"])
    if flow.link_user_id is not None:
        user = _signed_in_user()
        if user is None or user.id != flow.link_user_id:
            raise ProviderSignInFailed("Sign in again in this browser, then link.")
        link_identity(user=user, provider=provider, person=person)
        return redirect(flow.next_path, code=303)
    answer = sign_in_with_provider(provider=provider, person=person)
    if answer.get("mfa_required"):
        page = Response(render_template("web/mfa_code.html", visitor=None,
                                        mfa_token=answer["mfa_token"]), mimetype="text/html")
        page.headers["Cache-Control"] = "no-store"
        return page
    response = redirect(flow.next_path, code=303)
    set_access_cookies(response, answer["access_token"])
    set_refresh_cookies(response, answer["refresh_token"])
    set_device_cookie(response)
    return response


def _signed_in_user() -> User | None:
    try:
        verify_jwt_in_request(optional=True, locations=["cookies"])
    except (JWTExtendedException, PyJWTError):
        return None
    return get_current_user()
