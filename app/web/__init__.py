"""Browser surface: server-rendered pages and the HTML form-post layer over the API."""

from flask import Flask, Response, request
from flask_smorest import Api

from app.web import file_pages  # noqa: F401 - adds the /files page to the blueprint
from app.web.forms import init_form_posts
from app.web.pages import blp as pages_blp

# The pages use no script at all and post only to this site; Swagger UI (/docs) has its
# own inline script and is left out.
PAGE_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # A page shows the signed-in user's name, email and files: never keep it in a cache
    # (a shared computer's back button, a proxy).
    "Cache-Control": "no-store",
}


def protect_html_pages(response: Response) -> Response:
    """Lock down every HTML page of ours (pages and form results), not the Swagger UI."""
    if response.mimetype == "text/html" and request.blueprint != "api-docs":
        for name, value in PAGE_SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def init_web(app: Flask, api: Api) -> None:
    """Mount the pages (documented in OpenAPI like every route) and the form layer."""
    api.register_blueprint(pages_blp)
    # after_request hooks run last-registered first: registered before the form layer,
    # this one also sees the HTML result pages that layer renders.
    app.after_request(protect_html_pages)
    init_form_posts(app)
