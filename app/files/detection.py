"""Judge a file's type from its bytes, never from the client's name or header."""

from __future__ import annotations

import codecs
import warnings
from typing import BinaryIO

import filetype
from PIL import Image, UnidentifiedImageError

HEAD_BYTES = 8192
TEXT_CHUNK_BYTES = 64 * 1024
PLAIN_TEXT = "text/plain"
OCTET_STREAM = "application/octet-stream"
# Pillow's format name -> (MIME type, extension) of the raster images accepted anywhere.
IMAGE_TYPES = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "GIF": ("image/gif", ".gif"),
    "WEBP": ("image/webp", ".webp"),
}
PILLOW_MIME_TYPES = {mime for mime, _extension in IMAGE_TYPES.values()}
# Markup that a browser would render (and run scripts in) if it were served inline.
MARKUP_PREFIXES = (
    (b"<svg", "image/svg+xml"),
    (b"<!doctype html", "text/html"),
    (b"<html", "text/html"),
)
EXTENSIONS = {
    **{mime: extension for mime, extension in IMAGE_TYPES.values()},
    "application/pdf": ".pdf",
    PLAIN_TEXT: ".txt",
    "image/svg+xml": ".svg",
    "text/html": ".html",
}


def detect_type(stream: BinaryIO) -> str:
    """Return the MIME type the bytes of `stream` really are; the stream is rewound."""
    try:
        head = stream.read(HEAD_BYTES)
        stream.seek(0)
        guess = filetype.guess_mime(head)
        if guess in PILLOW_MIME_TYPES:
            return _confirm_image(stream, guess)
        if guess is not None:
            return guess
        return _text_type(stream, head)
    finally:
        stream.seek(0)


def extension_for(mime_type: str) -> str:
    """The extension stored names get for a detected type ('' when unknown)."""
    return EXTENSIONS.get(mime_type, "")


def _confirm_image(stream: BinaryIO, guess: str) -> str:
    # The magic number alone is easy to fake: Pillow must parse the header as well.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                image_format = image.format
    except Image.DecompressionBombError:
        return guess  # a real header of a huge image: it is what it says; we never decode
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return OCTET_STREAM
    mime_type, _extension = IMAGE_TYPES.get(image_format, (OCTET_STREAM, ""))
    return mime_type


def _text_type(stream: BinaryIO, head: bytes) -> str:
    """Plain text is valid UTF-8 with no NUL byte, read in chunks (memory stays flat)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(TEXT_CHUNK_BYTES):
            if b"\0" in chunk:
                return OCTET_STREAM
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return OCTET_STREAM
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<?xml") and b"<svg" in head.lower():
        return "image/svg+xml"
    for prefix, mime_type in MARKUP_PREFIXES:
        if start.startswith(prefix):
            return mime_type
    return PLAIN_TEXT


def header_pixels(stream: BinaryIO) -> int | None:
    """Pixels per frame as an image's header states them; None when Pillow cannot read it.

    Nothing is decoded; the stream is rewound. A header past Pillow's own bomb ceiling
    (far above any budget of ours) counts as infinitely large.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                return image.width * image.height
    except Image.DecompressionBombError:
        return 2**63
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return None
    finally:
        stream.seek(0)
