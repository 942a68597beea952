"""The smtp backend against a real aiosmtpd server: plain, and STARTTLS with a login."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.db_types import utcnow
from app.mail import deliver_due
from app.mail.models import MailStatus, OutboxMessage
from tests.mail.helpers import parts, queue, rows
from tests.mail.smtp_server import PASSWORD, REFUSED

# aiosmtpd counts only STARTTLS as TLS and warns about AUTH on SMTPS, which is TLS throughout.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture(params=["smtp_server", "tls_smtp_server", "ssl_smtp_server"],
                ids=["plain", "starttls+login", "ssl+login"])
def server(request):
    """Each test runs against every kind of server."""
    return request.getfixturevalue(request.param)


def test_messages_arrive_with_a_text_and_an_html_part(mail_app, server, caplog):
    caplog.set_level(logging.INFO)
    mail_app(**server.settings())
    links = queue(3, marker="smtp-secret")

    report = deliver_due()

    assert report.sent == 3
    received = server.wait_for(3, timeout=5)
    assert sorted(m["Message-ID"] for m in received) == sorted(r.message_id for r in rows())
    for message, link in zip(received, links, strict=True):
        assert message["To"] == "ada@example.com"
        assert message["From"] == "Signet <no-reply@localhost>"
        assert message["Subject"] == "Test message from Signet"
        text, html = parts(message)
        assert link in text and f'href="{link}"' in html
    assert all(row.status == MailStatus.SENT and row.text_body is None for row in rows())
    assert "smtp-secret" not in caplog.text
    assert PASSWORD not in caplog.text


def test_a_refused_recipient_fails_alone(mail_app, smtp_server):
    mail_app(**smtp_server.settings())
    queue(1, to="ada@example.com")
    queue(1, to=REFUSED)
    queue(1, to="bob@example.com")

    report = deliver_due()

    assert (report.sent, report.failed) == (2, 1)
    assert sorted(m["To"] for m in smtp_server.wait_for(2, 5)) == \
        ["ada@example.com", "bob@example.com"]
    refused = next(row for row in rows() if row.recipient == REFUSED)
    assert refused.status == MailStatus.PENDING
    assert "550" in refused.last_error
    assert refused.text_body is not None
    assert refused.next_attempt_at > utcnow()


def test_a_wrong_password_keeps_the_message_and_never_records_the_password(
        mail_app, tls_smtp_server, caplog):
    mail_app(**{**tls_smtp_server.settings(), "SMTP_PASSWORD": "wrong-pass-Qe3"})
    queue(1)

    report = deliver_due()

    assert report.failed == 1 and tls_smtp_server.messages == []
    [row] = rows()
    assert row.status == MailStatus.PENDING and row.attempts == 1
    assert "535" in row.last_error or "Authentication" in row.last_error
    assert "wrong-pass-Qe3" not in row.last_error + caplog.text


@pytest.mark.parametrize("name", ["tls_smtp_server", "ssl_smtp_server"])
def test_an_untrusted_certificate_is_refused(mail_app, request, name):
    server = request.getfixturevalue(name)
    mail_app(**{**server.settings(), "SMTP_CA_FILE": None})
    queue(1)

    assert deliver_due().failed == 1
    assert server.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in rows()[0].last_error


def test_a_server_that_wants_starttls_refuses_a_plain_session(mail_app, tls_smtp_server):
    mail_app(**{**tls_smtp_server.settings(), "SMTP_SECURITY": "none"})
    queue(1)

    assert deliver_due().failed == 1
    assert tls_smtp_server.messages == []


def test_retries_back_off_exponentially_up_to_the_cap(mail_app, smtp_server):
    mail_app(**smtp_server.settings(), MAIL_RETRY_BASE_SECONDS=10,
             MAIL_RETRY_MAX_SECONDS=60)
    smtp_server.stop()
    queue(1)
    delays = []
    for _ in range(5):
        before = utcnow()
        deliver_due()
        [row] = rows()
        delays.append(round((row.next_attempt_at - before).total_seconds(), -1))
        _make_due()

    assert delays == [10, 20, 40, 60, 60]
    assert rows()[0].attempts == 5


def test_a_message_undelivered_for_long_is_flagged_failing_and_still_retried(
        mail_app, smtp_server, caplog):
    mail_app(**smtp_server.settings(), MAIL_FAILING_AFTER_SECONDS=3600)
    smtp_server.stop()
    queue(1)
    db_set(created_at=utcnow() - timedelta(hours=2))

    deliver_due()

    [row] = rows()
    assert row.status == MailStatus.FAILING
    assert "is failing" in caplog.text
    smtp_server.start()
    _make_due()
    assert deliver_due().sent == 1
    assert rows()[0].status == MailStatus.SENT
    assert len(smtp_server.wait_for(1, 5)) == 1


def test_when_the_server_is_back_every_waiting_message_goes_at_once(mail_app, smtp_server):
    mail_app(**smtp_server.settings(), MAIL_RETRY_BASE_SECONDS=3600)
    smtp_server.stop()
    queue(3)
    deliver_due()  # all three now wait an hour
    smtp_server.start()
    queue(1)  # a fresh message is due: its successful connection ends the wait

    report = deliver_due()

    assert report.sent == 4
    assert len(set(m["Message-ID"] for m in smtp_server.wait_for(4, 5))) == 4


def _make_due() -> None:
    db_set(next_attempt_at=utcnow() - timedelta(seconds=1))


def db_set(**values) -> None:
    from app.extensions import db
    db.session.execute(update(OutboxMessage).values(**values))
    db.session.commit()
