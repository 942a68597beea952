"""The request class: the form limits also bound urlencoded bodies; JSON is bounded too.

Werkzeug applies MAX_FORM_MEMORY_SIZE and MAX_FORM_PARTS to multipart bodies only; an
urlencoded body is read whole up to MAX_CONTENT_LENGTH (16 MiB by default). An HTML form
without a file has no business being that large, so the same limits answer 413 here too.

Private Werkzeug hooks overridden here (checked against Werkzeug 3.1.9; re-check on upgrade):
- `FormDataParser._parse_multipart` and `FormDataParser._parse_urlencoded` (no documented
  hook chooses the parser's read size or bounds an urlencoded body by part count).
Documented hooks used: `Request.form_data_parser_class`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Request
from flask.sessions import SessionInterface
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser

from app.exceptions import BodyTooLarge
from app.settings import settings

try:  # gunicorn reports a malformed chunked body with its own exception class
    from gunicorn.http.errors import ParseException as ServerBodyError
except ImportError:  # another server: its errors are OSErrors
    ServerBodyError = OSError

# Werkzeug's multipart decoder refuses to buffer more than MAX_FORM_MEMORY_SIZE at once,
# file parts included, and the parser feeds it 64 KiB reads: with a limit of 64 KiB every
# file larger than that was a 413. Reads of at most half the limit keep files streaming.
MULTIPART_READ_BYTES = 64 * 1024


class BoundedFormDataParser(FormDataParser):
    """A form parser whose urlencoded branch honours the multipart limits."""

    def _parse_multipart(self, stream, mimetype, content_length, options):
        limit = self.max_form_memory_size
        read_bytes = MULTIPART_READ_BYTES if limit is None else max(
            1024, min(MULTIPART_READ_BYTES, limit // 2))
        parser = MultiPartParser(
            stream_factory=self.stream_factory, max_form_memory_size=limit,
            max_form_parts=self.max_form_parts, cls=self.cls, buffer_size=read_bytes)
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        limit = self.max_form_memory_size
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestEntityTooLarge()
        text = raw.decode()  # invalid UTF-8 stays Werkzeug's business (an empty form)
        try:
            items = parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote",
                              max_num_fields=self.max_form_parts)
        except ValueError:  # more fields than max_form_parts
            raise RequestEntityTooLarge() from None
        return stream, self.cls(items), self.cls()


class SignetRequest(Request):
    """Flask's request with form limits that cover every form encoding, and a JSON body
    that is bounded by MAX_JSON_BYTES and parsed at most once."""

    form_data_parser_class = BoundedFormDataParser
    _json_outcome: tuple[Any, Exception | None] | None = None

    def json_body(self) -> Any:
        """The JSON body, parsed on first use and kept for the rest of the request.

        Raises BodyTooLarge (413) past MAX_JSON_BYTES, before anything is parsed, and
        json.JSONDecodeError for a body that is not JSON (an empty one: `doc == ""`).
        Every reader (rate-limit keys, webargs) goes through here: a body that costs
        ~24 times its size to parse (`[{},{},...]`) is parsed once, not once per reader.
        """
        if self._json_outcome is None:
            try:
                self._json_outcome = (decode_json(self._bounded_body()), None)
            except (BodyTooLarge, json.JSONDecodeError) as error:
                self._json_outcome = (None, error)
        value, error = self._json_outcome
        if error is not None:
            raise error
        return value

    def _bounded_body(self) -> bytes:
        """The body, read only while it stays within MAX_JSON_BYTES."""
        limit = settings().web.max_json_bytes
        too_large = BodyTooLarge(
            f"A JSON body may be at most {limit} bytes (MAX_JSON_BYTES).")
        if self.content_length is not None and self.content_length > limit:
            raise too_large
        cached = getattr(self, "_cached_data", None)
        if cached is not None:
            if len(cached) > limit:
                raise too_large
            return cached
        # A chunked body names no length: count what is read, and stop one byte past.
        chunks, size = [], 0
        while size <= limit:
            chunk = self.stream.read(limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise too_large
        self._cached_data = b"".join(chunks)
        return self._cached_data


def decode_json(raw: bytes) -> Any:
    """Parse a JSON body; anything unreadable is a json.JSONDecodeError (a 400)."""
    try:
        data = json.loads(raw.decode())
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError(f"not UTF-8: {error.reason}", "body", error.start) from None
    except RecursionError:
        # "[[[[...": a few KB nested deeper than the decoder's recursion limit.
        raise json.JSONDecodeError("JSON nested too deeply", "body", 0) from None
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        # Python refuses to convert an integer of more than 4,300 digits (a CPU guard).
        raise json.JSONDecodeError(f"unreadable number: {error}"[:120], "body", 0) from None
    # JSON may escape a lone surrogate ("\ud800"), which is not Unicode text: bcrypt
    # and the database drivers raise on it. Refuse it as a malformed body (400).
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError as error:
        raise json.JSONDecodeError("lone surrogate in a string", "body", 0) from error
    return data


class GuardedInput:
    """`wsgi.input` whose read errors are the client's: a 400, not a 500 with a traceback.

    gunicorn decodes a chunked body while the app reads it, and reports a chunk size of
    `zz` or `-5` or a missing terminator (its ParseException) or a body cut short (an
    OSError) at that moment.
    """

    def __init__(self, stream):
        self._stream = stream

    def _guarded(self, method: str, *args):
        try:
            return getattr(self._stream, method)(*args)
        except (OSError, ServerBodyError):
            raise BadRequest("The request body is malformed or incomplete (for example "
                             "an invalid chunk size in a chunked body).") from None

    def read(self, *args) -> bytes:
        """Read like the server's stream."""
        return self._guarded("read", *args)

    def readline(self, *args) -> bytes:
        """Read a line like the server's stream."""
        return self._guarded("readline", *args)

    def readlines(self, *args) -> list:
        """Read lines like the server's stream."""
        return self._guarded("readlines", *args)

    def __iter__(self):
        return iter(self.readline, b"")


def guard_input(app: Flask) -> None:
    """Wrap every request's `wsgi.input` in GuardedInput."""
    inner = app.wsgi_app

    def middleware(environ, start_response):
        if "wsgi.input" in environ:
            environ["wsgi.input"] = GuardedInput(environ["wsgi.input"])
        return inner(environ, start_response)

    app.wsgi_app = middleware


class NoSessionInterface(SessionInterface):
    """No Flask session: `flask.session` is a NullSession that refuses every write.

    Signet keeps nothing in Flask's signed-cookie session (tokens travel in cookies of
    their own), yet the default interface built a signing serializer for every request.
    """

    def open_session(self, app, request):
        """The null session, read without a cookie."""
        return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        """Nothing to save."""
