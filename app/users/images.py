"""Profile-image checks with Pillow: real image bytes, bounded size, metadata removed."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from app.files.detection import IMAGE_TYPES

# Only what is needed to draw the image the same way; EXIF, XMP, GPS and comments go.
KEPT_INFO = ("transparency", "duration", "loop", "background", "icc_profile")
SAVE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}, "PNG": {}, "GIF": {}}


class InvalidImage(ValueError):
    """The bytes are not an acceptable image; the message is safe to show the client."""


@dataclass(frozen=True)
class CleanImage:
    """Re-encoded image bytes with their detected type."""

    data: bytes
    mime_type: str
    extension: str


def sanitize_image(stream: BinaryIO, *, max_pixels: int) -> CleanImage:
    """Check that `stream` is a JPEG, PNG, GIF or WebP and re-encode it without metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                return _reencode(image, max_pixels)
    except InvalidImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise InvalidImage("Must be a JPEG, PNG, GIF or WebP image.") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # Pillow reports truncated or corrupt data through these.
        raise InvalidImage("The image data is corrupt or truncated.") from None


def _reencode(image: Image.Image, max_pixels: int) -> CleanImage:
    if image.format not in IMAGE_TYPES:
        raise InvalidImage("Must be a JPEG, PNG, GIF or WebP image.")
    frames = getattr(image, "n_frames", 1)
    # Checked on the header, before any pixel is decoded.
    if image.width * image.height * frames > max_pixels:
        raise InvalidImage(f"The image is too large: at most {max_pixels} pixels.")
    mime_type, extension = IMAGE_TYPES[image.format]
    image_format = image.format
    kept = {key: image.info[key] for key in KEPT_INFO if key in image.info}
    out = io.BytesIO()
    if frames > 1:
        image.load()
        image.info = kept
        image.save(out, format=image_format, save_all=True, **SAVE_OPTIONS[image_format])
    else:
        upright = ImageOps.exif_transpose(image)  # keep what the camera meant by "up"
        upright.info = kept
        upright.save(out, format=image_format, **SAVE_OPTIONS[image_format])
    return CleanImage(out.getvalue(), mime_type, extension)
