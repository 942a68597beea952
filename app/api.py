"""flask-smorest glue: one `body` location that reads JSON, urlencoded and multipart alike.

The contract lets every POST/PATCH arrive as an HTML form, a multipart upload or JSON. A
single webargs location keeps each route to one `@blp.arguments(Schema, location="body")`
while the OpenAPI document lists all three encodings from that same schema.

Documented hooks used: `Blueprint.ARGUMENTS_PARSER`,
`Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING`, webargs' `__location_map__`.
Private hooks overridden (checked against flask-smorest 0.47.0 and webargs 8.7.1; re-check
on upgrade), each because no documented hook does the job:
- `Blueprint._prepare_arguments_doc`: list one `body` location under three content types;
- `Blueprint._prepare_response_doc`: document error responses as problem+json;
- `Api._register_error_handlers`: leave every error to app.errors (one error path);
- `Api._register_responses`: the shared error responses as problem+json;
- `FlaskParser._raw_load_json` and `_makeproxy`: read JSON through the request's one
  bounded parse (which refuses deep nesting and lone surrogates), and read form + files
  as one mapping.
"""

from __future__ import annotations

import functools
import http
from collections.abc import Callable

import flask
import flask_smorest
from flask_jwt_extended import jwt_required
from flask_smorest.fields import Upload
from flask_smorest.utils import resolve_schema_instance
from marshmallow import missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from app import scopes
from app.exceptions import UnsupportedBodyType
from app.guards import admin_required

BODY_LOCATION = "body"
PROBLEM_CONTENT_TYPE = "application/problem+json"
BEARER_SECURITY = [{"bearerAuth": []}]
# Secrets and tokens are handed out once: no cache may keep a copy.
NO_STORE = {"Cache-Control": "no-store"}
UNAUTHORIZED = "Missing or invalid token."
UNSUPPORTED = http.HTTPStatus.UNSUPPORTED_MEDIA_TYPE
BODY_CONTENT_TYPES = (
    "multipart/form-data",
    "application/x-www-form-urlencoded",
    "application/json",
)
ACCEPTED_BODIES = ", ".join(BODY_CONTENT_TYPES)


class BodyParser(FlaskParser):
    """A FlaskParser whose `body` location is JSON for JSON requests, else form + files."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        BODY_LOCATION: "exclude",
    }

    def load_body(self, req, schema):
        """Return the request's fields, whatever encoding the client chose."""
        if is_json_request(req):
            return self.load_json(req, schema)
        if req.mimetype and req.mimetype not in BODY_CONTENT_TYPES:
            # Read as an empty form, it would answer "Missing data" about fields it sent.
            raise UnsupportedBodyType(
                f"A body of type {req.mimetype} is not read here: send "
                f"{ACCEPTED_BODIES}.", headers={"Accept-Post": ACCEPTED_BODIES})
        # A file input left blank in an HTML form arrives as a part with no filename:
        # it means "no file", not an empty file. Some clients (Swagger UI) send a blank
        # file input as an empty text part instead: that means "no file" too.
        files = MultiDict(
            (key, upload)
            for key, upload in req.files.items(multi=True)
            if upload.filename
        )
        file_fields = {
            field.data_key or name
            for name, field in schema.fields.items() if isinstance(field, Upload)
        }
        form = MultiDict(
            (key, value)
            for key, value in req.form.items(multi=True)
            if not (key in file_fields and value == "")
        )
        return self._makeproxy(CombinedMultiDict([form, files]), schema)

    def _raw_load_json(self, req):
        # One parse per request, shared with the rate-limit keys, bounded by MAX_JSON_BYTES
        # (app.request.SignetRequest.json_body).
        if not is_json_request(req):
            return missing
        return req.json_body()


BodyParser.__location_map__ = {**FlaskParser.__location_map__, BODY_LOCATION: "load_body"}


class Blueprint(flask_smorest.Blueprint):
    """A smorest Blueprint that documents the `body` location as all three encodings."""

    def token_scope(self, decision: str):
        """Declare what a personal access token needs for this view (see app.scopes)."""
        described = {
            scopes.NEVER: "Never with a personal access token (403).",
            scopes.OPEN: "No token is read; a personal access token is ignored.",
        }.get(decision, f"A personal access token needs the scope `{decision}`.")

        def decorator(func):
            documented = self.doc(**{"x-token-scope": str(decision),
                                     "x-token-scope-description": described})(func)
            return scopes.mark(documented, decision)

        return decorator

    ARGUMENTS_PARSER = BodyParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        BODY_LOCATION: BODY_CONTENT_TYPES[0],
    }

    def arguments(self, schema, **kwargs):
        """flask-smorest's `arguments`, with a schema class instantiated once, here.

        Given a class, webargs builds a new instance on every request (deep copies of
        every field: ~30 us before any parsing); an instance is reused, and loading with
        one keeps no state between requests.
        """
        return super().arguments(resolve_schema_instance(schema), **kwargs)

    def signed_in(self, *, refresh: bool = False,
                  unauthorized: str = UNAUTHORIZED) -> Callable:
        """Require a valid token (a refresh token with `refresh`) and document the 401."""
        def decorator(view: Callable) -> Callable:
            return jwt_required(refresh=refresh)(self._documented_bearer(view, unauthorized))
        return decorator

    def admin_only(self) -> Callable:
        """Require an active admin's token and document the 401 and the 403."""
        def decorator(view: Callable) -> Callable:
            view = self.alt_response(403, schema=_problem_schema(),
                                     description="Not an admin.")(view)
            return admin_required(self._documented_bearer(view, UNAUTHORIZED))
        return decorator

    def _documented_bearer(self, view: Callable, unauthorized: str) -> Callable:
        view = self.alt_response(401, schema=_problem_schema(), description=unauthorized)(view)
        return self.doc(security=BEARER_SECURITY)(view)

    def _prepare_arguments_doc(self, doc, doc_info, **kwargs):
        operation = doc_info.get("arguments") or {}
        takes_body = any(
            isinstance(p, dict) and p.get("in") == BODY_LOCATION
            for p in operation.get("parameters", [])
        )
        if takes_body:
            operation.setdefault("responses", {})[int(UNSUPPORTED)] = UNSUPPORTED.name
        doc = super()._prepare_arguments_doc(doc, doc_info, **kwargs)
        if takes_body:
            content = doc["requestBody"]["content"]
            media = content[BODY_CONTENT_TYPES[0]]
            for content_type in BODY_CONTENT_TYPES[1:]:
                content.setdefault(content_type, media)
        return doc

    @staticmethod
    def _prepare_response_doc(doc, doc_info, *, api, spec, **kwargs):
        # Every error leaves through app.errors as problem+json: document it so, unless
        # a route named another content type on purpose.
        for status, responses in doc_info.get("response", {}).get("responses", {}).items():
            if _is_error_status(status):
                for response in responses:
                    if isinstance(response, dict) and not response.get("content_type"):
                        response["content_type"] = PROBLEM_CONTENT_TYPE
        return flask_smorest.Blueprint._prepare_response_doc(
            doc, doc_info, api=api, spec=spec, **kwargs)


def _problem_schema():
    from app.schemas import ProblemSchema  # app.schemas builds on smorest, as this does

    return ProblemSchema


def _is_error_status(status) -> bool:
    return str(status).isdigit() and int(status) >= 400


class Api(flask_smorest.Api):
    """The smorest Api; error handling is left to `app.errors` (one path for all)."""

    def _register_error_handlers(self):
        # app.errors registers the one handler every exception goes through.
        pass

    def _register_responses(self):
        """Document the shared error responses as the problem+json that app.errors sends."""
        from app.schemas import ProblemSchema

        self.ERROR_SCHEMA = ProblemSchema
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": ProblemSchema}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response("DEFAULT_ERROR", {
            "description": "Any other error, as RFC 9457 problem details.",
            "content": {PROBLEM_CONTENT_TYPE: {"schema": ProblemSchema}},
        }, lazy=True)


def forbid_caching_of_credentialed_json(app: flask.Flask) -> None:
    """Answer `Cache-Control: no-store` to every JSON response of a request with credentials.

    A bearer token or a session cookie makes the answer one person's (their files, their
    sessions, their audit trail): no browser or shared cache may keep it. A response that
    chose its own caching keeps it: file bytes are `private, no-cache` with an ETag.
    """
    cookies = (app.config["JWT_ACCESS_COOKIE_NAME"], app.config["JWT_REFRESH_COOKIE_NAME"])

    @app.after_request
    def no_store_for_credentialed_json(response: flask.Response) -> flask.Response:
        if ("Cache-Control" not in response.headers and response.is_json
                and _has_credentials(flask.request, cookies)):
            response.headers["Cache-Control"] = "no-store"
        return response


def _has_credentials(request: flask.Request, cookies: tuple[str, ...]) -> bool:
    return "Authorization" in request.headers or any(name in request.cookies for name in cookies)


def no_store(view):
    """Answer `view` with `Cache-Control: no-store`: tokens and account data stay uncached.

    Set after the view (errors included), so no browser or shared cache keeps the body.
    """
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        @flask.after_this_request
        def forbid_caching(response):
            response.headers["Cache-Control"] = "no-store"
            return response

        return view(*args, **kwargs)

    return wrapper
