"""The HTTP answer for a file's bytes: conditional, ranged, and safe to open in a browser."""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from urllib.parse import quote

from flask import Response, current_app, redirect, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import dump_options_header
from werkzeug.utils import send_file

from app.exceptions import ContentMissing
from app.files.detection import extension_for
from app.files.models import File
from app.settings import settings
from app.storage import current_storage

# Only raster images are shown inline; SVG, HTML and everything else is a download.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# Even a downloaded file must not run scripts if a browser opens it from this origin.
CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox"
# The ASCII `filename=` fallback keeps only these; anything else (quotes, slashes,
# backslashes, which NFKD makes of their full-width forms) becomes "_".
UNSAFE_FALLBACK = re.compile(r"[^A-Za-z0-9 ._()+,=@-]")
UNKNOWN_EXTENSION = ".bin"
log = logging.getLogger(__name__)


def file_response(file: File) -> Response:
    """Answer GET /files/{id}/content with the stored bytes of `file`."""
    as_attachment = file.type not in INLINE_TYPES
    name = download_name(file.original_name, file.type, as_attachment)
    storage = current_storage()
    if settings().storage.s3_presigned_downloads:
        url = storage.presigned_url(
            file.path, mimetype=file.type, disposition=content_disposition(name, as_attachment))
        if url is not None:
            return _presigned_redirect(url)
    accel_prefix = settings().files.accel_redirect_prefix
    folder_path = storage.folder_path(file.path) if accel_prefix else None
    if folder_path is not None:
        location = accel_prefix.rstrip("/") + "/" + folder_path
        return _accel_redirect(file, storage, location, name, as_attachment)
    source = _open_source(file, storage)
    environ = request.environ
    if request.range is not None:
        # gunicorn's file wrapper cannot seek, so a range would be reached by reading
        # everything before it; Werkzeug's own wrapper seeks. Whole-file answers keep
        # the server's wrapper so that gunicorn can use sendfile.
        environ = {k: v for k, v in environ.items() if k != "wsgi.file_wrapper"}
    response = send_file(
        source, environ, mimetype=file.type, as_attachment=as_attachment,
        download_name=name, conditional=False, etag=file.checksum,
        last_modified=file.created_at, response_class=current_app.response_class,
    )
    response.content_length = file.size
    response.headers["Content-Disposition"] = content_disposition(name, as_attachment)
    try:
        response = response.make_conditional(environ, accept_ranges=True,
                                              complete_length=file.size)
    except RequestedRangeNotSatisfiable:
        response.close()
        raise
    _harden(response)
    return response


def _open_source(file: File, storage):
    # An open file (not a path) also survives a DELETE racing this request; a local
    # file keeps its descriptor, so gunicorn can still sendfile it.
    try:
        return storage.open(file.path)
    except FileNotFoundError:
        log.error("file %s has a row but no bytes at %s", file.id, file.path)
        raise ContentMissing() from None


def _accel_redirect(file: File, storage, location: str, name: str,
                    as_attachment: bool) -> Response:
    # nginx would answer a missing file with its own HTML 404: say it here, in problem+json.
    if not storage.exists(file.path):
        log.error("file %s has a row but no bytes at %s", file.id, file.path)
        raise ContentMissing()
    response = current_app.response_class(mimetype=file.type)
    response.headers["Content-Disposition"] = content_disposition(name, as_attachment)
    response.set_etag(file.checksum)
    response.last_modified = file.created_at
    # If-None-Match and If-Modified-Since are answered here; nginx serves the bytes
    # (sendfile) and any Range. nginx follows X-Accel-Redirect whatever the status, so a
    # 304 must not carry it.
    response = response.make_conditional(request.environ)
    if response.status_code == 200:
        response.headers["X-Accel-Redirect"] = quote(location)
    _harden(response)
    return response


def _presigned_redirect(url: str) -> Response:
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


def download_name(name: str, mime_type: str, as_attachment: bool) -> str:
    """The name a browser saves the file under: an attachment ends in its detected type's
    extension, so "page.html" stored as text/plain is saved as "page.html.txt" and opens
    as text, never as a page."""
    if not as_attachment:
        return name
    extension = extension_for(mime_type) or UNKNOWN_EXTENSION
    if os.path.splitext(name)[1].lower() == extension:
        return name
    return name + extension


def content_disposition(name: str, as_attachment: bool) -> str:
    """RFC 6266 header value: an ASCII `filename` plus RFC 5987 `filename*` for unicode."""
    kind = "attachment" if as_attachment else "inline"
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        fallback = UNSAFE_FALLBACK.sub("_", folded).strip(" .")
        quoted = quote(name, safe="!#$&+-.^_`|~")
        return dump_options_header(kind, {"filename": fallback or "download",
                                          "filename*": f"UTF-8''{quoted}"})
    return dump_options_header(kind, {"filename": name})


def _harden(response: Response) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.cache_control.private = True
