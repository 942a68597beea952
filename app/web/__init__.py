"""Browser surface: server-rendered pages and the HTML form-post layer over the API."""

from flask import Flask, Response, request
from flask_smorest import Api

from app.settings import settings_of
from app.web import (
    account_pages,  # noqa: F401 - adds the account deletion form to the blueprint
    admin_forms,  # noqa: F401 - adds the forms of an admin's user page
    admin_pages,  # noqa: F401 - adds the admin area: users, a user, the audit log
    email_pages,  # noqa: F401 - adds the pages that mailed links open
    file_pages,  # noqa: F401 - adds the /files page to the blueprint
    identity_forms,  # noqa: F401 - adds the form that unlinks a provider identity
    mfa_forms,  # noqa: F401 - adds the forms that turn TOTP off and remove a passkey
    pages,  # noqa: F401 - adds home, register, sign-in and profile pages
    session_pages,  # noqa: F401 - adds the session form to the blueprint
    settings_pages,  # noqa: F401 - adds password, email, name/image and token pages
)
from app.web.blueprint import blp as pages_blp
from app.web.dev_mail import blp as dev_mail_blp
from app.web.devices import device_name
from app.web.error_pages import answer_browser_error
from app.web.form_feedback import form_feedback
from app.web.forms import continue_path, init_form_posts, is_html_form_post

# The pages' one script is the WebAuthn file in static/ (passkeys need the browser's
# JavaScript API): same-origin files only, no inline script, and it may call only this
# site. They post only to this site; Swagger UI (/docs) has its own inline script and is
# left out.
PAGE_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
        "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # A page shows the signed-in user's name, email and files: never keep it in a cache
    # (a shared computer's back button, a proxy).
    "Cache-Control": "no-store",
}


# Swagger UI (/docs) runs this server's scripts (no inline one: app/templates/
# swagger_ui.html), sets inline styles, draws data: icons and fetches /openapi.json and
# the API itself; the rest is as strict as the other pages.
DOCS_SECURITY_HEADERS = {
    **PAGE_SECURITY_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}


def protect_html_pages(response: Response) -> Response:
    """Lock down every HTML page of ours: pages, form results and Swagger UI."""
    if response.mimetype == "text/html":
        headers = (DOCS_SECURITY_HEADERS if request.blueprint == "api-docs"
                   else PAGE_SECURITY_HEADERS)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
    return response


def show_errors_to_browsers(response: Response) -> Response:
    """A browser opening a page that fails gets the HTML error page, not problem+json."""
    return answer_browser_error(response, is_form_post=is_html_form_post())


def init_web(app: Flask, api: Api) -> None:
    """Mount the pages and the form layer; the pages stay out of the API's OpenAPI document."""
    # Registered with Flask, not with the Api: the document describes the JSON API that
    # clients program against, and HTML pages for people are no part of it. The pages'
    # own @blp.doc notes stay as their reference in the code.
    app.register_blueprint(pages_blp)
    app.context_processor(lambda: {"feedback": form_feedback()})
    app.add_template_filter(device_name, "device_name")
    app.add_template_global(continue_path)
    # after_request hooks run last-registered first: registered before the form layer
    # and the error pages, this one also sees the HTML pages those render.
    app.after_request(protect_html_pages)
    app.after_request(show_errors_to_browsers)
    init_form_posts(app)
    # The development inbox shows every mailed token: never mounted in production.
    built = settings_of(app)
    if built.app_env != "production" and built.mail.backend == "file":
        app.register_blueprint(dev_mail_blp)
