"""The request class: the form limits also bound urlencoded bodies.

Werkzeug applies MAX_FORM_MEMORY_SIZE and MAX_FORM_PARTS to multipart bodies only; an
urlencoded body is read whole up to MAX_CONTENT_LENGTH (16 MiB by default). An HTML form
without a file has no business being that large, so the same limits answer 413 here too.

Private Werkzeug hooks overridden here (checked against Werkzeug 3.1.9; re-check on upgrade):
- `FormDataParser._parse_multipart` and `FormDataParser._parse_urlencoded` (no documented
  hook chooses the parser's read size or bounds an urlencoded body by part count).
Documented hooks used: `Request.form_data_parser_class`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser

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
    """Flask's request with form limits that cover every form encoding."""

    form_data_parser_class = BoundedFormDataParser
