"""What an image's structure costs to decode, read from its bytes without decoding them.

Two costs are invisible in the first frame's header: a progressive JPEG runs every scan
over every block of the image (a 550 kB file of tens of thousands of empty scans held a
worker for minutes), and a GIF's later frames may grow its canvas far past the size the
header states (Pillow enlarges the canvas to fit each frame). Both walkers skip over the
data they step across (Python loops only per marker or block, never per byte).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

GIF_IMAGE, GIF_EXTENSION = 0x2C, 0x21
JPEG_SOS, JPEG_EOI = 0xDA, 0xD9
# Markers that stand alone (no length field): TEM, RST0-7, SOI, EOI.
JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8), 0xD8, JPEG_EOI}
# Inside a scan's entropy-coded data a marker is 0xFF (fill bytes may repeat it) followed
# by a byte that is neither 0x00 (a stuffed 0xFF) nor a restart marker RST0-7.
ENTROPY_MARKER = re.compile(rb"\xff+([^\x00\xd0-\xd7\xff])")


def count_jpeg_scans(data: bytes, *, stop_after: int) -> int:
    """Count the SOS segments (scans) of a JPEG, stopping past `stop_after`."""
    pos, scans = 2, 0  # after SOI
    while pos + 4 <= len(data) and scans <= stop_after:
        if data[pos] != 0xFF:
            break  # not a marker where one must be: the decoder reports the corruption
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == JPEG_EOI:
            break
        if marker in JPEG_STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length
        if marker == JPEG_SOS:
            scans += 1
            found = ENTROPY_MARKER.search(data, pos)
            if found is None:
                break
            pos = found.start(1) - 1
    return scans


@dataclass(frozen=True)
class GifLayout:
    """Frames counted (at most one past the limit), the largest canvas, pixels in all."""

    frames: int
    largest_canvas: int
    total_pixels: int


def gif_layout(data: bytes, *, stop_after: int) -> GifLayout:
    """Walk a GIF's image blocks: count them and the canvas each one is decoded into.

    Pillow grows the canvas to hold a frame that reaches past it and keeps it that size,
    so every frame costs the canvas as grown so far, not the screen size of the header.
    """
    if len(data) < 13:
        return GifLayout(0, 0, 0)
    width, height = struct.unpack_from("<HH", data, 6)
    pos = 13 + _color_table_size(data[10])
    frames = largest = total = 0
    while pos < len(data) and frames <= stop_after:
        block = data[pos]
        if block == GIF_IMAGE:
            if pos + 10 > len(data):
                break
            left, top, frame_width, frame_height = struct.unpack_from("<HHHH", data, pos + 1)
            width, height = max(width, left + frame_width), max(height, top + frame_height)
            frames += 1
            largest = max(largest, width * height)
            total += width * height
            pos += 10 + _color_table_size(data[pos + 9]) + 1  # descriptor, table, code size
            pos = _skip_sub_blocks(data, pos)
        elif block == GIF_EXTENSION:
            pos = _skip_sub_blocks(data, pos + 2)
        else:  # the trailer, or bytes that are no block: Pillow decides what they mean
            break
    return GifLayout(frames, largest, total)


def _color_table_size(flags: int) -> int:
    return 3 << ((flags & 0x07) + 1) if flags & 0x80 else 0


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    while pos < len(data):
        size = data[pos]
        pos += 1 + size
        if size == 0:
            break
    return pos
