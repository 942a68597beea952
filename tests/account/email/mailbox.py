"""Read the mail the service sent: deliver the outbox, then parse the file backend's .eml.

No mock: messages go through app.mail's real outbox and delivery, and are read back as a
mail client would read them (headers, text part, HTML part, the link in each).
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask import Flask

from app.mail import deliver_due
from app.settings import settings_of

LINK = re.compile(r"https?://[^\s\"'<>]+")


@dataclass
class Mail:
    """One received message."""

    to: str
    subject: str
    text: str
    html: str

    @property
    def link(self) -> str:
        """The one link of the text part that carries a token, else its first link."""
        links = LINK.findall(self.text)
        with_token = [link for link in links if "token=" in link]
        return (with_token or links)[0]

    @property
    def token(self) -> str:
        """The token of the message's link."""
        return parse_qs(urlsplit(self.link).query)["token"][0]


def parse(message: EmailMessage) -> Mail:
    """The parts a test asserts on."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return Mail(to=message["To"], subject=message["Subject"],
                text=text.get_content() if text else "", html=html.get_content() if html else "")


class Mailbox:
    """The messages delivered to MAIL_FILE_DIR; `new()` returns those not seen before."""

    def __init__(self, app: Flask):
        self.app = app
        self.seen: set[Path] = set()

    @property
    def directory(self) -> Path:
        return Path(settings_of(self.app).mail.file_dir)

    def new(self) -> list[Mail]:
        """Deliver what is due, then return the messages that arrived since the last call."""
        deliver_due()
        if not self.directory.exists():
            return []
        # The backend renames each file into place whole: every *.eml is complete.
        files = sorted((p for p in self.directory.rglob("*.eml") if p not in self.seen),
                       key=lambda p: (p.stat().st_mtime_ns, p.name))
        self.seen.update(files)
        return [parse(email.message_from_bytes(path.read_bytes(), policy=policy.default))
                for path in files]

    def one(self, to: str | None = None) -> Mail:
        """Exactly one new message (to `to`, when given)."""
        mails = self.new()
        if to is not None:
            mails = [m for m in mails if m.to == to]
        assert len(mails) == 1, [(m.to, m.subject) for m in mails]
        return mails[0]
