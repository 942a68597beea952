"""The file backend: each message an .eml file whose path is logged."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from app.mail import deliver_due, enqueue_message, public_url
from app.mail.models import MailStatus
from app.settings import replace_settings, settings_of
from tests.mail.helpers import parts, queue, rows


def test_each_message_is_written_as_an_eml_file_and_its_path_logged(app, db, caplog):
    caplog.set_level(logging.INFO, logger="app.mail")
    [link] = queue(1, marker="file-backend-secret")

    report = deliver_due()

    assert report.sent == 1
    [path] = list(Path(settings_of(app).mail.file_dir).glob("*.eml"))
    assert path.stat().st_mode & 0o077 == 0  # the file holds a live link: owner only
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    [row] = rows()
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Test message from Signet"
    assert message["From"] == "Signet <no-reply@localhost>"
    assert message["Message-ID"] == row.message_id
    text, html = parts(message)
    assert link in text
    assert f'href="{link}"' in html
    assert str(path) in caplog.text
    assert row.message_id in caplog.text
    assert "file-backend-secret" not in caplog.text


def test_a_long_link_stays_whole_in_the_file(app, db):
    link = public_url("health.Health", token="x" * 120)
    enqueue_message(to="ada@example.com", template="test_message",
                    context={"name": "Ada", "link": link})
    db.session.commit()

    deliver_due()

    [path] = list(Path(settings_of(app).mail.file_dir).glob("*.eml"))
    raw = path.read_text()
    assert f"Open: {link}\n" in raw  # a newcomer copies it from a text editor
    assert f'<a href="{link}">' in raw


def test_a_delivered_message_keeps_no_body(app, db):
    queue(2)

    deliver_due()

    for row in rows():
        assert row.status == MailStatus.SENT
        assert row.text_body is None and row.html_body is None
        assert row.sent_at is not None and row.attempts == 1
        assert row.claimed_until is None and row.claimed_by is None


def test_nothing_due_sends_nothing(app, db):
    assert deliver_due().sent == 0
    assert not Path(settings_of(app).mail.file_dir).exists() or \
        not list(Path(settings_of(app).mail.file_dir).glob("*.eml"))


def test_an_unwritable_directory_keeps_the_messages_for_later(app_config, mail_app, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the mail folder should be")
    mail_app(MAIL_FILE_DIR=str(blocker / "mail"))
    queue(2)

    report = deliver_due()

    assert report.sent == 0 and report.failed == 2
    for row in rows():
        assert row.status == MailStatus.PENDING
        assert row.attempts == 1
        assert row.text_body is not None
        assert row.last_error.startswith("unreachable: ")


def test_a_non_ascii_name_survives_both_parts(app, db):
    enqueue_message(to="jose@example.com", template="test_message",
                    context={"name": "José Ñúñez", "link": None})
    db.session.commit()

    deliver_due()

    [path] = list(Path(settings_of(app).mail.file_dir).glob("*.eml"))
    text, html = parts(message_from_bytes(path.read_bytes(), policy=policy.default))
    assert "Hello José Ñúñez," in text
    assert "<p>Hello José Ñúñez,</p>" in html


def test_a_message_is_renamed_into_place_whole_and_a_failed_write_leaves_nothing(
        tmp_path, monkeypatch):
    from email.message import EmailMessage

    from app.mail.backends import FileBackend

    backend = FileBackend(str(tmp_path)).connect()
    message = EmailMessage()
    message["To"], message["Message-ID"] = "ada@example.com", "<whole@example.com>"
    message.set_content("hello")
    backend.send(message)
    [path] = list(tmp_path.iterdir())
    assert path.suffix == ".eml" and b"hello" in path.read_bytes()

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(message, "as_bytes", disk_full)
    with pytest.raises(OSError, match="No space left"):
        backend.send(message)

    assert list(tmp_path.iterdir()) == [path]  # no half-written file, named or not


@pytest.mark.parametrize(("base_url", "sender"), [
    ("http://127.0.0.1:9410", "Signet <no-reply@localhost>"),
    ("http://[::1]:8000", "Signet <no-reply@localhost>"),
    ("https://signet.example.com", "Signet <no-reply@signet.example.com>"),
])
def test_the_default_sender_is_a_valid_address_on_the_sites_host(app, db, base_url, sender):
    replace_settings(app, PUBLIC_BASE_URL=base_url)
    queue(1)

    deliver_due()

    [path] = list(Path(settings_of(app).mail.file_dir).glob("*.eml"))
    assert message_from_bytes(path.read_bytes(), policy=policy.default)["From"] == sender
