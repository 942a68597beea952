"""A request id on every response (X-Request-ID) and on every log line of the app.

A sane id sent by a proxy or client is kept, so one id follows a request across services;
anything else (missing, too long, odd characters that could forge log lines) is replaced.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

from app.text import escape_for_log

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def current_request_id() -> str:
    """Return this request's id (assigned on first use), or "-" outside a request."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        _assign_request_id()
    return g.request_id


class SafeFormatter(logging.Formatter):
    """Escapes control and invisible characters in the message (not the traceback).

    Names, emails and file names that clients send reach log lines (the audit log among
    them): ESC sequences, newlines or a right-to-left override there would forge or hide
    lines.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        """Format the record with its message escaped."""
        record.message = escape_for_log(record.message)
        return super().formatMessage(record)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record so formatters can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the current request id; never drops a record."""
        record.request_id = current_request_id()
        return True


def _assign_request_id() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _echo_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = current_request_id()
    return response


def init_request_id(app: Flask) -> None:
    """Give each request an id, return it in X-Request-ID and print it in the app's logs."""
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    # Flask's handler writes the "app" logger (every app.* module) to wsgi.errors, which
    # gunicorn sends to its error log. Flask skips it when the root logger already has a
    # handler (Alembic's logging config adds one), so attach it explicitly.
    default_handler.setFormatter(SafeFormatter(LOG_FORMAT))
    if not any(isinstance(f, RequestIdFilter) for f in default_handler.filters):
        default_handler.addFilter(RequestIdFilter())
    if default_handler not in app.logger.handlers:
        app.logger.addHandler(default_handler)
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)
