"""ACCEL_REDIRECT_PREFIX: local downloads leave the bytes to nginx (X-Accel-Redirect).

The app still decides who may read, the validators and the headers; these tests need no
nginx (tests/deploy/test_cluster.py follows the redirect through a real one).
"""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

import pytest

from app.files.models import File
from app.settings import replace_settings
from app.storage import current_storage
from tests.helpers import assert_problem

pytestmark = pytest.mark.all_storage_backends
PDF = b"%PDF-1.4\n" + b"0123456789" * 100 + b"\n%%EOF\n"
PREFIX = "/_signet_files/"


@pytest.fixture
def app_config(app_config):
    """Local storage behind nginx."""
    app_config["ACCEL_REDIRECT_PREFIX"] = PREFIX
    return app_config


@pytest.fixture
def stored(upload, user, auth_headers):
    """Upload a PDF as `user`; return (content url, headers)."""
    response = upload(user, PDF, "résumé.pdf")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["url"], auth_headers(user)


@pytest.mark.parametrize("storage_backend", ["local"])
def test_download_names_the_stored_file_for_nginx_with_every_header(
        client, stored, upload_dir, storage_backend):
    url, headers = stored

    response = client.get(url, headers=headers)

    assert response.status_code == 200
    assert response.get_data() == b""
    target = response.headers["X-Accel-Redirect"]
    assert target.startswith(PREFIX)
    assert (upload_dir / unquote(target.removeprefix(PREFIX))).read_bytes() == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=resume.pdf; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf")
    assert response.headers["ETag"] == f'"{hashlib.sha256(PDF).hexdigest()}"'
    assert response.headers["Last-Modified"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "private" in response.headers["Cache-Control"]


@pytest.mark.parametrize("storage_backend", ["local"])
def test_a_prefix_without_its_trailing_slash_names_the_same_file(
        app, client, stored, upload_dir, storage_backend):
    url, headers = stored
    replace_settings(app, ACCEL_REDIRECT_PREFIX=PREFIX.rstrip("/"))

    target = client.get(url, headers=headers).headers["X-Accel-Redirect"]

    assert (upload_dir / unquote(target.removeprefix(PREFIX))).read_bytes() == PDF


@pytest.mark.parametrize("storage_backend", ["local"])
def test_a_range_is_left_to_nginx(client, stored, storage_backend):
    url, headers = stored

    response = client.get(url, headers={**headers, "Range": "bytes=0-9"})

    assert response.status_code == 200
    assert response.headers["X-Accel-Redirect"].startswith(PREFIX)
    assert "Content-Range" not in response.headers


@pytest.mark.parametrize("storage_backend", ["local"])
def test_a_matching_etag_is_304_and_sends_nginx_nowhere(client, stored, storage_backend):
    url, headers = stored
    etag = client.get(url, headers=headers).headers["ETag"]

    response = client.get(url, headers={**headers, "If-None-Match": etag})

    assert response.status_code == 304
    assert "X-Accel-Redirect" not in response.headers
    assert response.headers["ETag"] == etag


@pytest.mark.parametrize("storage_backend", ["local"])
def test_bytes_gone_is_the_apps_404_not_nginxs(client, stored, db, storage_backend):
    url, headers = stored
    current_storage().delete(db.session.query(File).one().path)

    response = client.get(url, headers=headers)

    assert_problem(response, 404)
    assert "X-Accel-Redirect" not in response.headers


@pytest.mark.parametrize("storage_backend", ["local"])
def test_someone_elses_file_is_refused_before_any_redirect(client, stored, users,
                                                            auth_headers, storage_backend):
    url, _ = stored

    response = client.get(url, headers=auth_headers(users.create()))

    assert_problem(response, 404)
    assert "X-Accel-Redirect" not in response.headers


@pytest.mark.parametrize("storage_backend", ["s3"])
def test_s3_objects_are_not_on_nginxs_disk_so_the_worker_streams_them(client, stored,
                                                                       storage_backend):
    url, headers = stored

    response = client.get(url, headers=headers)

    assert response.status_code == 200
    assert "X-Accel-Redirect" not in response.headers
    assert response.get_data() == PDF


@pytest.mark.parametrize("storage_backend", ["local"])
def test_without_the_setting_the_worker_sends_the_bytes(app_config, request,
                                                        storage_backend):
    app_config["ACCEL_REDIRECT_PREFIX"] = None
    client = request.getfixturevalue("client")
    url, headers = request.getfixturevalue("stored")

    response = client.get(url, headers=headers)

    assert "X-Accel-Redirect" not in response.headers
    assert response.get_data() == PDF
