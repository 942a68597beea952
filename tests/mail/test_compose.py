"""enqueue_message renders both parts into the caller's transaction; links use PUBLIC_BASE_URL."""

from __future__ import annotations

import pytest
from jinja2 import TemplateNotFound
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.mail import enqueue_message, public_url, render_message
from app.mail.models import MailStatus, OutboxMessage


def outbox_rows(db) -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_a_message_is_rendered_into_an_outbox_row(app, db):
    link = public_url("health.Health", token="tok-123")

    enqueue_message(to="ada@example.com", template="test_message",
                    context={"name": "Ada <b>", "link": link})
    db.session.commit()

    [row] = outbox_rows(db)
    assert row.recipient == "ada@example.com"
    assert row.subject == "Test message from Signet"
    assert row.status == MailStatus.PENDING
    assert row.attempts == 0
    assert row.claimed_until is None
    assert row.message_id.startswith("<") and row.message_id.endswith("@localhost>")
    assert "Hello Ada <b>," in row.text_body
    assert "http://localhost:8000/healthz?token=tok-123" in row.text_body
    assert "{% block" not in row.text_body and "Test message from" not in row.text_body
    # The HTML part escapes the context and carries the layout.
    assert "Hello Ada &lt;b&gt;," in row.html_body
    assert '<a href="http://localhost:8000/healthz?token=tok-123">' in row.html_body
    assert "<!doctype html>" in row.html_body


def test_a_rolled_back_transaction_leaves_no_message(app, db):
    enqueue_message(to="ada@example.com", template="test_message", context={"name": "A"})
    db.session.rollback()

    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_message_ids_are_unique(app, db):
    for _ in range(20):
        enqueue_message(to="ada@example.com", template="test_message", context={"name": "A"})
    db.session.commit()

    assert len({row.message_id for row in outbox_rows(db)}) == 20


@pytest.mark.parametrize("recipient", [
    "", "no-at-sign", "two@@example.com", "a@example.com\r\nBcc: victim@example.com",
    "a@example.com, b@example.com", "Ada <a@example.com>", "a" * 250 + "@example.com",
])
def test_a_recipient_that_is_not_one_plain_address_is_refused(app, db, recipient):
    with pytest.raises(ValueError):
        enqueue_message(to=recipient, template="test_message", context={"name": "A"})
    assert outbox_rows(db) == []


def test_an_unknown_template_raises(app):
    with pytest.raises(TemplateNotFound):
        enqueue_message(to="ada@example.com", template="no_such_message", context={})


def test_links_ignore_a_forged_host_header(app):
    with app.test_request_context("/", headers={"Host": "evil.example"},
                                  base_url="http://evil.example"):
        link = public_url("health.Health", token="abc")

    assert link == "http://localhost:8000/healthz?token=abc"


@pytest.mark.parametrize("base", ["https://signet.example.com", "https://signet.example.com/",
                                  "https://example.com/signet"])
def test_links_start_with_public_base_url(app_config, mail_app, base):
    mail_app(PUBLIC_BASE_URL=base)

    assert public_url("health.Health", token="a b") == base.rstrip("/") + "/healthz?token=a+b"


def test_render_message_renders_without_queueing(app, db):
    subject, text, html = render_message("test_message", {"name": "Ada", "link": None})

    assert subject == "Test message from Signet"
    assert text.startswith("Hello Ada,") and "<p>Hello Ada,</p>" in html
    assert outbox_rows(db) == []


def test_a_failed_insert_names_no_body_in_its_error(app, db):
    queue_one = {"to": "ada@example.com", "template": "test_message"}
    enqueue_message(**queue_one, context={"name": "A", "link": "https://x.test/?token=first"})
    db.session.commit()
    taken = outbox_rows(db)[0].message_id
    db.session.add(OutboxMessage(message_id=taken, recipient="ada@example.com", subject="s",
                                 text_body="https://x.test/?token=leak-me", html_body=""))

    with pytest.raises(IntegrityError) as caught:
        db.session.commit()
    db.session.rollback()

    assert "leak-me" not in str(caught.value)  # it would reach the 500 handler's log
