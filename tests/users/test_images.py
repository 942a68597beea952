"""POST /api/v1/auth/register with a profile image: typed from its bytes, metadata removed,
names sanitised."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from app.files.models import File
from tests.account.registration import (
    STORED_NAME,
    URL,
    with_image,
)
from tests.factories import (
    animated_bytes,
    gps_exif,
    has_exif,
    image_bytes,
)
from tests.helpers import stored_blobs


@pytest.mark.parametrize(("fmt", "mime_type"), [
    ("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp"),
])
def test_each_image_format_is_accepted_and_typed_from_its_bytes(client, db, upload_dir,
                                                                fmt, mime_type):
    # The client's name lies about the type: the bytes decide.
    response = client.post(URL, data=with_image(image_bytes(fmt), "photo.bin"),
                           content_type="multipart/form-data")

    assert response.status_code == 201
    stored = db.session.get(File, response.get_json()["profileImageId"])
    assert stored.type == mime_type
    [blob] = stored_blobs(upload_dir)
    with Image.open(blob) as image:
        assert image.format == fmt


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_exif_and_gps_are_removed_from_the_stored_image(client, upload_dir, fmt):
    uploaded = image_bytes(fmt, exif=gps_exif())
    assert has_exif(uploaded) and b"SpyCam" in uploaded  # the test image really has it

    response = client.post(URL, data=with_image(uploaded, "holiday.jpg"),
                           content_type="multipart/form-data")

    assert response.status_code == 201
    [blob] = stored_blobs(upload_dir)
    stored = blob.read_bytes()
    assert not has_exif(stored)
    assert b"SpyCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (16, 12)


def _png_with_text_chunks() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret text")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret xmp</x:xmpmeta>")
    out = io.BytesIO()
    Image.new("RGBA", (16, 12)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _jpeg(**options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 20, 30)).save(out, format="JPEG", **options)
    return out.getvalue()


METADATA_CARRIERS = {
    "jpeg comment and xmp": (_jpeg(comment=b"secret comment", xmp=b"<x>secret</x>"), 1),
    "png text and xmp chunks": (_png_with_text_chunks(), 1),
    "animated gif with comment": (animated_bytes("GIF", comment=b"secret gif"), 3),
    "animated webp with exif": (animated_bytes("WEBP", exif=gps_exif()), 3),
    "animated png with exif": (animated_bytes("PNG", exif=gps_exif()), 3),
}


@pytest.mark.parametrize(("data", "frames"), METADATA_CARRIERS.values(),
                         ids=METADATA_CARRIERS.keys())
def test_other_metadata_is_removed_and_animation_kept(client, upload_dir, data, frames):
    assert b"secret" in data or b"SpyCam" in data

    response = client.post(URL, data=with_image(data, "anim.bin"),
                           content_type="multipart/form-data")

    assert response.status_code == 201
    [blob] = stored_blobs(upload_dir)
    stored = blob.read_bytes()
    assert b"secret" not in stored and b"SpyCam" not in stored
    assert not has_exif(stored)
    with Image.open(io.BytesIO(stored)) as image:
        assert getattr(image, "n_frames", 1) == frames


def test_jpeg_is_turned_upright_before_its_exif_is_dropped(client, upload_dir):
    exif = gps_exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    response = client.post(URL, data=with_image(image_bytes("JPEG", (16, 12), exif=exif)),
                           content_type="multipart/form-data")

    assert response.status_code == 201
    [blob] = stored_blobs(upload_dir)
    with Image.open(blob) as image:
        assert image.size == (12, 16)
        assert not image.getexif()


@pytest.mark.parametrize("filename", [
    "../../etc/passwd.png",
    "..\\..\\windows\\system32\\evil.png",
    "/absolute/path/me.png",
    "a" * 1000 + ".png",
    "é" * 300 + ".png",
    "...",
])
def test_hostile_file_names_are_sanitised_and_never_reach_the_disk(client, db, upload_dir,
                                                                   filename):
    response = client.post(URL, data=with_image(image_bytes("PNG"), filename),
                           content_type="multipart/form-data")

    assert response.status_code == 201
    stored = db.session.get(File, response.get_json()["profileImageId"])
    assert 0 < len(stored.original_name) <= 255
    assert "/" not in stored.original_name and "\\" not in stored.original_name
    assert not stored.original_name.startswith(".")
    assert STORED_NAME.match(stored.modified_name)
    [blob] = stored_blobs(upload_dir)
    assert blob.resolve().is_relative_to(upload_dir.resolve())
    assert blob.name == stored.modified_name
    assert not (upload_dir.parent / "etc").exists()


def test_long_file_name_keeps_its_extension(client, db):
    response = client.post(URL, data=with_image(image_bytes("PNG"), "a" * 1000 + ".png"),
                           content_type="multipart/form-data")

    stored = db.session.get(File, response.get_json()["profileImageId"])
    assert len(stored.original_name) == 255
    assert stored.original_name.endswith(".png")


