"""Profile-image checks with Pillow: real image bytes, bounded size, metadata removed.

Every budget is judged before the pixels are decoded: pixels per frame from the header,
frames by a bounded scan (Pillow's own count walks every frame of a GIF, which took 30 s
on 349,000 frames), total pixels over all frames; the decode itself runs against a
deadline checked between frames. What is stored is at most STORED_MAX_SIDE pixels a side:
a larger image is downscaled, an animation keeps every frame (each one downscaled).
"""

from __future__ import annotations

import io
import time
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import GifImagePlugin, Image, ImageOps, ImageSequence, UnidentifiedImageError

from app.files.detection import IMAGE_TYPES

# Only what is needed to draw the image the same way; EXIF, XMP, GPS and comments go.
KEPT_INFO = ("transparency", "duration", "loop", "background", "icc_profile")
SAVE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}, "PNG": {}, "GIF": {}}
STORED_MAX_SIDE = 1024
DEFAULT_MAX_FRAMES = 100
DEFAULT_DECODE_SECONDS = 1.0
GIF_IMAGE, GIF_EXTENSION = 0x2C, 0x21
# GIF frames stay palette images unless their palette changes: re-encoding them then
# needs no quantizing, which cost seconds for a 100-frame animation.
GifImagePlugin.LOADING_STRATEGY = GifImagePlugin.LoadingStrategy.RGB_AFTER_DIFFERENT_PALETTE_ONLY


class InvalidImage(ValueError):
    """The bytes are not an acceptable image; the message is safe to show the client."""


@dataclass(frozen=True)
class CleanImage:
    """Re-encoded image bytes with their detected type."""

    data: bytes
    mime_type: str
    extension: str


def sanitize_image(stream: BinaryIO, *, max_pixels: int,
                   max_frames: int = DEFAULT_MAX_FRAMES, max_total_pixels: int | None = None,
                   decode_seconds: float = DEFAULT_DECODE_SECONDS,
                   max_side: int = STORED_MAX_SIDE) -> CleanImage:
    """Check that `stream` is a JPEG, PNG, GIF or WebP within the budgets; re-encode it.

    `max_pixels` bounds each frame, `max_total_pixels` (default: `max_pixels`) all frames
    together, `decode_seconds` the decoding; the result is at most `max_side` a side.
    """
    deadline = time.monotonic() + decode_seconds
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                frames = _check_budget(image, stream, max_pixels, max_frames,
                                       max_total_pixels or max_pixels)
                return _reencode(image, frames, deadline, max_side)
    except InvalidImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own ceiling (far above ours) refused the header: too large either way.
        raise InvalidImage(f"The image is too large: at most {max_pixels} pixels.") from None
    except UnidentifiedImageError:
        raise InvalidImage("Must be a JPEG, PNG, GIF or WebP image.") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # Pillow reports truncated or corrupt data through these.
        raise InvalidImage("The image data is corrupt or truncated.") from None


def _check_budget(image: Image.Image, stream: BinaryIO, max_pixels: int, max_frames: int,
                  max_total_pixels: int) -> int:
    if image.format not in IMAGE_TYPES:
        raise InvalidImage("Must be a JPEG, PNG, GIF or WebP image.")
    pixels = image.width * image.height
    if pixels > max_pixels:
        raise InvalidImage(f"The image is too large: at most {max_pixels} pixels.")
    if image.format == "GIF":
        frames = count_gif_frames(stream, stop_after=max_frames)
    else:
        # WebP's demuxer and APNG's acTL chunk state the count: nothing is decoded.
        frames = getattr(image, "n_frames", 1)
    if frames > max_frames:
        raise InvalidImage(f"The image has too many frames: at most {max_frames}.")
    if pixels * frames > max_total_pixels:
        raise InvalidImage(
            f"The animation is too large: at most {max_total_pixels} pixels in all frames.")
    return frames


def count_gif_frames(stream: BinaryIO, *, stop_after: int) -> int:
    """Count a GIF's image blocks by skipping their data, stopping past `stop_after`.

    Reads the bytes once and decodes nothing; the stream is put back where it was.
    """
    position = stream.tell()
    stream.seek(0)
    data = stream.read()
    stream.seek(position)
    if len(data) < 13:
        return 0
    pos = 13 + _color_table_size(data[10])
    frames = 0
    while pos < len(data) and frames <= stop_after:
        block = data[pos]
        if block == GIF_IMAGE:
            frames += 1
            if pos + 10 >= len(data):
                break
            pos += 10 + _color_table_size(data[pos + 9]) + 1  # descriptor, table, code size
            pos = _skip_sub_blocks(data, pos)
        elif block == GIF_EXTENSION:
            pos = _skip_sub_blocks(data, pos + 2)
        else:  # the trailer, or bytes that are no block: Pillow decides what they mean
            break
    return frames


def _color_table_size(flags: int) -> int:
    return 3 << ((flags & 0x07) + 1) if flags & 0x80 else 0


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    while pos < len(data):
        size = data[pos]
        pos += 1 + size
        if size == 0:
            break
    return pos


def _check_deadline(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise InvalidImage("The image takes too long to decode.")


def _fit(frame: Image.Image, max_side: int) -> Image.Image:
    if max(frame.size) <= max_side:
        return frame
    frame = frame.copy()
    frame.thumbnail((max_side, max_side))
    return frame


def _reencode(image: Image.Image, frames: int, deadline: float, max_side: int) -> CleanImage:
    mime_type, extension = IMAGE_TYPES[image.format]
    image_format = image.format
    kept = {key: image.info[key] for key in KEPT_INFO if key in image.info}
    out = io.BytesIO()
    if frames > 1:
        # Decoded one frame at a time against the deadline, and encoded likewise (Pillow
        # pulls `append_images` lazily); only downscaled copies are kept.
        durations, stored = [], []
        for frame in ImageSequence.Iterator(image):
            frame.load()
            _check_deadline(deadline)
            durations.append(frame.info.get("duration", kept.get("duration", 100)))
            stored.append(_fit(frame, max_side) if max(frame.size) > max_side
                          else frame.copy())
        first = stored[0]
        first.info = kept
        first.save(out, format=image_format, save_all=True,
                   append_images=_Within(stored[1:], deadline), duration=durations,
                   **SAVE_OPTIONS[image_format])
    else:
        # One frame's cost is bounded by the pixel budget: no deadline, nothing wasted.
        # Downscaled in place before anything else (JPEG even decodes at 1/2, 1/4 or 1/8
        # scale), so at most one full-size copy of the pixels ever exists.
        image.thumbnail((max_side, max_side))
        upright = ImageOps.exif_transpose(image)  # keep what the camera meant by "up"
        upright.info = kept
        upright.save(out, format=image_format, **SAVE_OPTIONS[image_format])
    return CleanImage(out.getvalue(), mime_type, extension)


class _Within:
    """Frames that refuse to be handed out past the deadline (Pillow may iterate twice)."""

    def __init__(self, frames: list[Image.Image], deadline: float):
        self.frames, self.deadline = frames, deadline

    def __iter__(self):
        for frame in self.frames:
            _check_deadline(self.deadline)
            yield frame
