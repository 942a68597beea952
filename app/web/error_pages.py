"""Error pages for browsers: a problem+json answer becomes a page in the site's layout.

app.errors builds every problem; this hook only changes how one is shown, and only to a
browser (an Accept that prefers text/html). API clients (JSON, `*/*`, anything else) keep
the problem+json exactly. Browser form posts are app.web.forms' (the form shown again).
"""

from __future__ import annotations

import json

from flask import Response, render_template, request

from app.api import PROBLEM_CONTENT_TYPE
from app.web.session import page_session

ANSWER_TYPES = ("application/json", PROBLEM_CONTENT_TYPE, "text/html")
# Plainer titles and sentences than the reason phrase, where one helps a person.
PAGE_TITLES = {404: "Page not found", 405: "Not available here", 429: "Too many attempts",
               500: "Something went wrong"}
PAGE_DETAILS = {
    404: "There is no page at this address. Check the link, or start again from home.",
    405: "This address cannot be opened that way.",
    500: "Something went wrong on our side. Please try again in a moment.",
}
# Headers of the problem that still matter to a browser.
KEPT_HEADERS = ("Retry-After", "Allow")


def wants_html() -> bool:
    """True when the client prefers HTML to JSON: a browser opening a page."""
    accepted = request.accept_mimetypes
    return ("text/html" in accepted.values()
            and accepted.best_match(ANSWER_TYPES) == "text/html")


def wait_sentence(retry_after: str | None) -> str | None:
    """"Try again in 2 minutes." from a Retry-After of seconds."""
    if not retry_after or not retry_after.isdigit():
        return None
    seconds = int(retry_after)
    if seconds < 60:
        return f"Try again in {max(seconds, 1)} second{'s' if seconds != 1 else ''}."
    minutes = -(-seconds // 60)
    return f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def render_error_page(problem: dict, status: int, retry_after: str | None) -> str:
    """The error page for a problem, with the top bar of whoever is signed in."""
    return render_template(
        "web/error.html", status=status,
        title=PAGE_TITLES.get(status) or problem.get("title") or "Error",
        detail=PAGE_DETAILS.get(status) or problem.get("detail") or "",
        wait=wait_sentence(retry_after), visitor=page_session())


def answer_browser_error(response: Response, is_form_post: bool) -> Response:
    """Swap a problem+json answer to a browser for the HTML error page."""
    if (response.mimetype != PROBLEM_CONTENT_TYPE or is_form_post or request.method == "HEAD"
            or not wants_html()):
        return response
    try:
        problem = json.loads(response.get_data())
    except ValueError:
        return response
    page = Response(render_error_page(problem, response.status_code,
                                      response.headers.get("Retry-After")),
                    status=response.status_code, mimetype="text/html")
    for name in KEPT_HEADERS:
        if name in response.headers:
            page.headers[name] = response.headers[name]
    return page
