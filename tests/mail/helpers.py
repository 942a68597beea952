"""Small helpers shared by the mail tests."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select

from app.extensions import db
from app.mail import enqueue_message, public_url
from app.mail.models import OutboxMessage


def queue(count: int = 1, *, to: str = "ada@example.com", marker: str = "tok") -> list[str]:
    """Queue `count` test messages (committed); return the links they carry."""
    links = []
    for number in range(count):
        link = public_url("health.Health", token=f"{marker}-{number}")
        enqueue_message(to=to, template="test_message",
                        context={"name": f"Ada {number}", "link": link})
        links.append(link)
    db.session.commit()
    return links


def rows() -> list[OutboxMessage]:
    """Every outbox row, fresh from the database, oldest first."""
    # End the read transaction: under MariaDB's REPEATABLE READ a second read in the same
    # transaction would see the snapshot of the first, not the delivery threads' writes.
    db.session.rollback()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML parts of a received message."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html
