"""Profile-image checks with Pillow: real image bytes, bounded size, metadata removed.

Every budget is judged before the pixels are decoded: pixels per frame from the header,
frames by a bounded scan (Pillow's own count walks every frame of a GIF, which took 30 s
on 349,000 frames), a GIF's canvas as its later frames grow it, total pixels over all
frames, and a progressive JPEG's scans (each one runs over the whole image). The decode
itself, of one frame or many, runs against a deadline checked at every read of the file
(in steps of DECODE_STEP_BYTES) and between frames. What is stored is at most
STORED_MAX_SIDE pixels a side: a larger image is downscaled, an animation keeps every
frame (each one downscaled).
"""

from __future__ import annotations

import io
import time
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import GifImagePlugin, Image, ImageOps, ImageSequence, UnidentifiedImageError

from app.files.detection import IMAGE_TYPES
from app.users.image_headers import count_jpeg_scans, gif_layout

# Only what is needed to draw the image the same way; EXIF, XMP, GPS and comments go.
KEPT_INFO = ("transparency", "duration", "loop", "background", "icc_profile")
SAVE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}, "PNG": {}, "GIF": {}}
STORED_MAX_SIDE = 1024
DEFAULT_MAX_FRAMES = 100
DEFAULT_MAX_SCANS = 16
DEFAULT_DECODE_SECONDS = 1.0
# Pillow hands the decoder this many bytes at a time (its default is 64 kB); the deadline
# is checked between steps. A step of GIF, PNG or baseline JPEG data decodes in
# milliseconds; a progressive JPEG's scan can be 30 bytes and still a pass over 250,000
# blocks (30 ms), so its steps are smaller.
DECODE_STEP_BYTES = 4096
PROGRESSIVE_STEP_BYTES = 256
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
                   max_scans: int = DEFAULT_MAX_SCANS,
                   decode_seconds: float = DEFAULT_DECODE_SECONDS,
                   max_side: int = STORED_MAX_SIDE) -> CleanImage:
    """Check that `stream` is a JPEG, PNG, GIF or WebP within the budgets; re-encode it.

    `max_pixels` bounds each frame (a GIF's grown canvas included), `max_total_pixels`
    (default: `max_pixels`) all frames together, `max_scans` a JPEG's scans,
    `decode_seconds` the decoding; the result is at most `max_side` a side.
    """
    deadline = time.monotonic() + decode_seconds
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(_Timed(stream, deadline)) as image:
                image.decodermaxblock = (PROGRESSIVE_STEP_BYTES if "progression" in image.info
                                         else DECODE_STEP_BYTES)
                frames = _check_budget(image, stream, max_pixels, max_frames,
                                       max_total_pixels or max_pixels, max_scans)
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
                  max_total_pixels: int, max_scans: int) -> int:
    if image.format not in IMAGE_TYPES:
        raise InvalidImage("Must be a JPEG, PNG, GIF or WebP image.")
    pixels = image.width * image.height
    if pixels > max_pixels:
        raise InvalidImage(f"The image is too large: at most {max_pixels} pixels.")
    if image.format == "GIF":
        layout = gif_layout(_all_bytes(stream), stop_after=max_frames)
        frames, largest, total = layout.frames, layout.largest_canvas, layout.total_pixels
    else:
        # WebP's demuxer and APNG's acTL chunk state the count: nothing is decoded. Their
        # frames must lie within the canvas, which never grows.
        frames = getattr(image, "n_frames", 1)
        largest, total = pixels, pixels * frames
    if frames > max_frames:
        raise InvalidImage(f"The image has too many frames: at most {max_frames}.")
    if largest > max_pixels:
        raise InvalidImage(f"The image is too large: at most {max_pixels} pixels.")
    if total > max_total_pixels:
        raise InvalidImage(
            f"The animation is too large: at most {max_total_pixels} pixels in all frames.")
    if image.format == "JPEG" and count_jpeg_scans(
            _all_bytes(stream), stop_after=max_scans) > max_scans:
        raise InvalidImage(f"The image has too many progressive scans: at most {max_scans}.")
    return frames


def _all_bytes(stream: BinaryIO) -> bytes:
    """The whole upload (at most PROFILE_IMAGE_MAX_BYTES); the stream is put back."""
    position = stream.tell()
    stream.seek(0)
    data = stream.read()
    stream.seek(position)
    return data


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
        # Downscaled in place before anything else (JPEG even decodes at 1/2, 1/4 or 1/8
        # scale), so at most one full-size copy of the pixels ever exists. The reads of
        # the decode check the deadline (_Timed); WebP decodes in one call, so its cost
        # is bounded by the pixel budget and judged once it returns.
        image.thumbnail((max_side, max_side))
        _check_deadline(deadline)
        upright = ImageOps.exif_transpose(image)  # keep what the camera meant by "up"
        upright.info = kept
        upright.save(out, format=image_format, **SAVE_OPTIONS[image_format])
    _check_deadline(deadline)
    return CleanImage(out.getvalue(), mime_type, extension)


class _Within:
    """Frames that refuse to be handed out past the deadline (Pillow may iterate twice)."""

    def __init__(self, frames: list[Image.Image], deadline: float):
        self.frames, self.deadline = frames, deadline

    def __iter__(self):
        for frame in self.frames:
            _check_deadline(self.deadline)
            yield frame


class _Timed:
    """The upload as Pillow reads it: every read past the deadline is refused.

    A decoder is fed one read at a time (DECODE_STEP_BYTES), so this bounds the time of a
    single frame's decode too, not only the time between frames.
    """

    def __init__(self, stream: BinaryIO, deadline: float):
        self.stream, self.deadline = stream, deadline

    def read(self, size: int = -1) -> bytes:
        _check_deadline(self.deadline)
        return self.stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.stream.seek(offset, whence)

    def tell(self) -> int:
        return self.stream.tell()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)  # what other plugins may probe (readline, name)
