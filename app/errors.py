"""One error path: every exception becomes an RFC 9457 problem+json response."""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, Response, json
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.api import PROBLEM_CONTENT_TYPE
from app.exceptions import RETRY_AFTER_SECONDS, DomainError
from app.extensions import db
from app.ratelimit import retry_after_seconds
from app.settings import settings
from app.transactions import is_transient

log = logging.getLogger(__name__)


def problem(status: int, detail: str, *, title: str | None = None,
            errors: dict | None = None, headers: dict | None = None,
            problem_type: str = "about:blank") -> Response:
    """Build a problem+json response; `errors` maps field names to messages."""
    body = {
        "type": problem_type,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(messages: dict) -> dict:
    """Flatten webargs' {location: {field: [msg]}} into {field: [msg]}."""
    flat: dict = {}
    for location, value in messages.items():
        if isinstance(value, dict):
            for field, field_messages in value.items():
                flat.setdefault(field, []).extend(_as_list(field_messages))
        else:
            flat.setdefault(location, []).extend(_as_list(value))
    return flat


def _as_list(messages) -> list:
    if isinstance(messages, dict):  # nested schema or indexed list errors
        return [f"{key}: {msg}" for key, value in messages.items() for msg in _as_list(value)]
    return list(messages) if isinstance(messages, (list, tuple)) else [str(messages)]


def handle_http_exception(error: HTTPException) -> Response:
    """Werkzeug's and webargs' HTTP errors (404, 405, 413, 400, 422 ...)."""
    status = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() in ("allow", "retry-after")}
    if status == 429 and "Retry-After" not in headers:
        headers["Retry-After"] = str(retry_after_seconds())
    data = getattr(error, "data", None) or {}
    errors = field_errors(data["messages"]) if data.get("messages") else None
    if status == 422:
        detail = "The request has invalid fields: " + ", ".join(sorted(errors or {})) + "."
    elif isinstance(error, RequestEntityTooLarge):
        detail = _too_large_detail()
    elif status == 400 and errors:
        detail = "The request body is malformed: " + "; ".join(
            msg for msgs in errors.values() for msg in msgs
        )
    else:
        detail = error.description or HTTPStatus(status).phrase
    return problem(status, detail, errors=errors, headers=headers)


def _too_large_detail() -> str:
    web = settings().web
    return (
        f"The request is larger than this service accepts (body limit "
        f"{web.max_content_length} bytes; at most {web.max_form_parts} form parts and "
        f"{web.max_form_memory_size} bytes per text field)."
    )


def handle_domain_error(error: DomainError) -> Response:
    """Exceptions raised by services."""
    return problem(error.status, error.detail, errors=error.errors, headers=error.headers,
                   problem_type=error.problem_type)


def handle_integrity_error(error: IntegrityError) -> Response:
    """A constraint the service did not foresee: a conflict with existing data."""
    _rollback()
    log.warning("integrity error reached the error handler: %s", error.orig)
    return problem(409, "The request conflicts with existing data.")


def handle_database_unavailable(error: DBAPIError) -> Response:
    """The database is down or dropped the connection: retryable."""
    _rollback()
    log.error("database unavailable: %s", error.orig)
    return problem(503, "The database is temporarily unavailable. Please retry shortly.",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_redis_unavailable(error: RedisError) -> Response:
    """Redis (the shared rate-limit store) is down: retryable, and logins stay throttled."""
    log.error("redis unavailable: %s", error)
    return problem(503, "The service is temporarily unavailable. Please retry shortly.",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_unexpected(error: Exception) -> Response:
    """Anything else: log the traceback, answer a generic 500."""
    _rollback()
    log.exception("unhandled exception", exc_info=error)
    return problem(500, "An unexpected error occurred.")


def handle_database_error(error: DBAPIError) -> Response:
    """Lost connections and conflicts left after retries are 503; other errors are 500."""
    if isinstance(error, OperationalError) or is_transient(error):
        return handle_database_unavailable(error)
    return handle_unexpected(error)


def _rollback() -> None:
    # The session must be usable by the next request even if the database is gone.
    try:
        db.session.rollback()
    except Exception:
        log.debug("rollback failed while handling an error", exc_info=True)


def register_error_handlers(app: Flask) -> None:
    """Route every exception through this module."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(RedisError, handle_redis_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
