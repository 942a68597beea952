"""Factories that write real rows (no mocks): users, and image bytes made with Pillow."""

from __future__ import annotations

import functools
import io
import itertools
import random
import struct
import zlib

from PIL import Image

from app.extensions import bcrypt, db
from app.users.models import Role, User
from app.users.passwords import hash_password

DEFAULT_PASSWORD = "correct horse battery"
_sequence = itertools.count(1)
# Hashes by (password, bcrypt settings): most users of the suite share one password, and
# hashing it anew for each is a third of the bcrypt time of a run. A salt shared by two
# test users changes nothing any test looks at.
_hashes: dict[tuple, str] = {}


def _hash(password: str) -> str:
    key = (password, bcrypt._log_rounds, bcrypt._prefix, bcrypt._handle_long_passwords)
    if key not in _hashes:
        _hashes[key] = hash_password(password)
    return _hashes[key]


class UserFactory:
    """Creates committed users; every call gets a unique email unless one is given."""

    def create(self, *, name: str | None = None, email: str | None = None,
               password: str = DEFAULT_PASSWORD, role: str = "user",
               is_active: bool = True) -> User:
        """Insert and commit one user."""
        number = next(_sequence)
        user = User(
            name=name or f"User {number}",
            email=(email or f"user{number}@example.com").lower(),
            password_hash=_hash(password),
            role=Role(role),
            is_active=is_active,
        )
        db.session.add(user)
        db.session.commit()
        return user


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (16, 12), *,
                exif: Image.Exif | None = None, color=(200, 30, 60)) -> bytes:
    """Encode a small solid-colour image in `fmt`, optionally with EXIF."""
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    image.save(out, format=fmt, **options)
    return out.getvalue()


def gps_exif() -> Image.Exif:
    """EXIF with a camera make and a GPS position, as a phone would write."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 3.0)
    return exif


def noise_image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 64)) -> bytes:
    """Encode random pixels, which compress badly: for tests of byte-size limits."""
    image = Image.frombytes("RGB", size, random.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels: a decompression bomb."""
    data = bytearray(image_bytes("PNG", (1, 1)))
    # Signature (8 bytes), then the IHDR chunk: length, b"IHDR", width, height, ..., CRC.
    struct.pack_into(">II", data, 16, width, height)
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def has_exif(data: bytes) -> bool:
    """True when the encoded image carries EXIF (any tag, GPS included)."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return bool(exif) or bool(exif.get_ifd(0x8825)) or "exif" in image.info


def animated_bytes(fmt: str, frames: int = 3, **save_options) -> bytes:
    """Encode a small animation (GIF, WebP or APNG) with `save_options` (exif, comment...)."""
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    images = [Image.new("RGB", (16, 12), colours[i % len(colours)]) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format=fmt, save_all=True, append_images=images[1:], duration=100,
                   loop=0, **save_options)
    return out.getvalue()


def many_frame_gif(frames: int) -> bytes:
    """A 1x1 GIF of `frames` frames, 15 bytes each: 349,000 make the 5.2 MB bomb of issue 13.

    Pillow writes the first frame (header, palette, loop); the others are one image block
    each: descriptor without a colour table, LZW codes clear, pixel 0, end (0x44 0x01).
    """
    out = io.BytesIO()
    first = Image.new("P", (1, 1), 0)
    first.putpalette([0, 0, 0, 255, 255, 255])
    first.save(out, format="GIF")
    data = out.getvalue()
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return data[:-1] + frame * (frames - 1) + b"\x3b"  # before the trailer (0x3B)


def canvas_growth_gif(side: int = 9400, *, frames: int = 2) -> bytes:
    """A GIF whose screen and first frame are 1x1 and whose later frames are side x side.

    Pillow grows the canvas to fit each frame, so the header's 1 pixel says nothing of
    the 88 Mpx (at 9400) that decoding allocates. Each later frame is complete and valid,
    all colour 0: 35 kB of LZW codes at 9400.
    """
    out = io.BytesIO()
    first = Image.new("P", (1, 1), 0)
    first.putpalette([0, 0, 0, 255, 255, 255])
    first.save(out, format="GIF")
    data = out.getvalue()
    frame = (b"\x2c" + struct.pack("<HHHHB", 0, 0, side, side, 0)
             + _constant_lzw(side * side))
    return data[:-1] + frame * frames + b"\x3b"


def _constant_lzw(pixels: int) -> bytes:
    """GIF image data (minimum code size 2) for `pixels` pixels of colour 0.

    A run of colour 0 needs no dictionary: after the clear code, the n-th code stands for
    n pixels (code 0, then 6, 7, 8, ...) until the table is full at 4096 entries; then the
    longest run (4091 pixels, code 4095) repeats. Code widths follow the decoder, which
    adds an entry for every code but the first after a clear.
    """
    clear, end, first_free, table_size = 4, 5, 6, 4096
    codes, longest, remaining, next_entry = [clear], 1, pixels, first_free
    while remaining:
        run = min(longest, remaining)
        codes.append(0 if run == 1 else run + 4)
        remaining -= run
        if next_entry < table_size:
            next_entry += 1
            longest += 1
    codes.append(end)
    bits = nbits = 0
    packed = bytearray()
    width, decoder_next = 3, first_free
    for index, code in enumerate(codes):
        bits |= code << nbits
        nbits += width
        while nbits >= 8:
            packed.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
        if index >= 2 and decoder_next < table_size:
            decoder_next += 1
            if decoder_next == 1 << width and width < 12:
                width += 1
    if nbits:
        packed.append(bits & 0xFF)
    blocks = b"".join(bytes([len(packed[i:i + 255])]) + packed[i:i + 255]
                      for i in range(0, len(packed), 255))
    return b"\x02" + blocks + b"\x00"


@functools.cache  # the same bytes each time: built once a process
def progressive_jpeg_scan_bomb(side: int = 4000, *, extra_scans: int = 100) -> bytes:
    """A grey progressive JPEG of side x side with `extra_scans` empty AC scans repeated.

    Pillow writes a valid progressive file; its last scan (an AC refinement of a flat
    image: a few bytes of end-of-band runs) is repeated before EOI. libjpeg runs each scan
    over every block (250,000 at 4000 px): about 30 ms a scan, for 31 bytes of file.
    """
    out = io.BytesIO()
    Image.new("L", (side, side), 128).save(out, format="JPEG", progressive=True, quality=90)
    data = out.getvalue()
    last_scan = data.rindex(b"\xff\xda")
    end = data.rindex(b"\xff\xd9")
    return data[:end] + data[last_scan:end] * extra_scans + data[end:]


@functools.cache  # the same bytes each time: built once a process
def lossless_webp_bomb(side: int = 6300) -> bytes:
    """A one-colour lossless WebP of side x side pixels: ~1.6 kB on disk, 160 MB decoded."""
    out = io.BytesIO()
    Image.new("RGB", (side, side), (200, 30, 30)).save(out, format="WEBP", lossless=True)
    return out.getvalue()


@functools.cache  # the same bytes each time: built once a process
def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A real, complete black 1-bit PNG of width x height (~110 kB for 30000 x 30000).

    zlib compresses the scanlines one by one, so the test never holds the 112 MB of rows
    (and Pillow would decode 900 MB of 8-bit pixels from it).
    """
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte 0, then 8 pixels a byte
    parts = [compressor.compress(row) for _ in range(height)]
    idat = b"".join(parts) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))
