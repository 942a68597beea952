"""Work that runs once the response has been sent: the client never waits for it.

A service registers a function with `after_response`; the WSGI wrapper installed by
`init_after_response` runs it when the server closes the response (after the last byte
went out), in a fresh app context and session. Its failure is logged by exception class
only (a statement's parameters may hold a message body) and reaches no client: use it
only for work whose answer the client could not be told anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, request
from werkzeug.wsgi import ClosingIterator

from app.extensions import db

ENVIRON_KEY = "signet.after_response"
log = logging.getLogger(__name__)


def after_response(func: Callable[[], None]) -> None:
    """Run `func()` after this request's response has been sent."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                func()
            except Exception as error:  # noqa: BLE001 - nobody is left to answer
                db.session.rollback()
                log.error("work after the response failed: %s", type(error).__name__)
            finally:
                db.session.remove()

    request.environ.setdefault(ENVIRON_KEY, []).append(run)


def init_after_response(app: Flask) -> None:
    """Wrap the WSGI app so that registered work runs when the response is closed."""
    inner = app.wsgi_app

    def wsgi_app(environ, start_response):
        iterable = inner(environ, start_response)
        tasks = environ.get(ENVIRON_KEY)
        return ClosingIterator(iterable, tasks) if tasks else iterable

    app.wsgi_app = wsgi_app
