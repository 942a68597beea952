"""Where messages go: an SMTP server, or `.eml` files for development.

Two backends behind one small interface, chosen by MAIL_BACKEND. A delivery pass opens one
connection, sends each claimed message through it and closes it; an error raised by `send`
concerns that message, and a `ConnectionLost` one means the rest of the batch cannot go
either (they are retried later).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from app.settings.services import MailSettings

log = logging.getLogger(__name__)


class ConnectionLost(Exception):
    """The backend cannot take more messages on this connection."""


class MailConnection(Protocol):
    """One open delivery channel, used for one batch."""

    def send(self, message: EmailMessage) -> None:
        """Hand `message` over; returns once the backend accepted it."""

    def close(self) -> None:
        """Release the channel (errors on the way out are ignored)."""


class MailBackend(Protocol):
    """A place messages are delivered to."""

    def connect(self) -> MailConnection:
        """Open a channel; raises ConnectionLost when the backend is unreachable."""


class FileBackend:
    """Each message as an `.eml` file in a directory; the file's path is logged."""

    def __init__(self, directory: str) -> None:
        self._directory = Path(directory)

    def connect(self) -> FileBackend:
        """Create the directory if needed; the backend is its own connection."""
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConnectionLost(f"cannot create MAIL_FILE_DIR: {error}") from error
        return self

    def send(self, message: EmailMessage) -> None:
        """Write the message to a new file readable by its owner only, all at once.

        Written under a name no reader looks for, then renamed: whoever lists `*.eml` (a
        mail client, a test, a script) never sees half a message.
        """
        name = uuid.uuid4().hex
        partial = self._directory / f".{name}.eml.partial"
        path = self._directory / f"{name}.eml"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        # The path is the newcomer's way to the message; it holds no token itself.
        log.info("mail %s written to %s", message["Message-ID"], path)

    def close(self) -> None:
        """Nothing to release."""


class SmtpBackend:
    """An SMTP server through the standard library: STARTTLS, SSL or plain, optional login."""

    def __init__(self, *, host: str, port: int, security: str, username: str | None,
                 password: str | None, timeout: float, ca_file: str | None = None) -> None:
        self._host, self._port, self._security = host, port, security
        self._username, self._password = username, password
        self._timeout, self._ca_file = timeout, ca_file

    def connect(self) -> SmtpConnection:
        """Connect, secure and log in; any failure is a ConnectionLost."""
        context = ssl.create_default_context(cafile=self._ca_file)
        client: smtplib.SMTP | None = None
        try:
            if self._security == "ssl":
                client = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout,
                                          context=context)
            else:
                client = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
                if self._security == "starttls":
                    client.starttls(context=context)
            if self._username:
                client.login(self._username, self._password or "")
        except (OSError, smtplib.SMTPException) as error:
            if client is not None:
                _quietly_close(client)
            # The class and the server's answer only: smtplib never echoes the password.
            raise ConnectionLost(describe(error)) from error
        return SmtpConnection(client)


class SmtpConnection:
    """An open, secured and authenticated SMTP session."""

    def __init__(self, client: smtplib.SMTP) -> None:
        self._client = client

    def send(self, message: EmailMessage) -> None:
        """Send one message; a dropped connection is a ConnectionLost."""
        try:
            self._client.send_message(message)
        except smtplib.SMTPServerDisconnected as error:
            raise ConnectionLost(describe(error)) from error
        except smtplib.SMTPResponseException as error:
            if error.smtp_code == 421:  # the server is closing the channel
                raise ConnectionLost(describe(error)) from error
            raise
        except smtplib.SMTPException:
            raise  # about this message only (SMTPException is an OSError: keep it apart)
        except OSError as error:
            raise ConnectionLost(describe(error)) from error

    def close(self) -> None:
        """QUIT, ignoring a server that is already gone."""
        _quietly_close(self._client)


def _quietly_close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def is_permanent(error: BaseException) -> bool:
    """True when the server refused the message for good: a 5xx answer (RFC 5321 4.2.1).

    A refused recipient counts only when every recipient was refused with a 5xx; a 4xx
    (greylisting, a full mailbox) asks to try again later.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


def describe(error: BaseException) -> str:
    """A short description of a delivery error for logs and `lastError` (no secrets)."""
    return f"{type(error).__name__}: {error}"[:500]


def build_backend(mail: MailSettings) -> MailBackend:
    """Return the backend MAIL_BACKEND names (the settings checked it and SMTP_HOST)."""
    if mail.backend == "file":
        return FileBackend(mail.file_dir)
    return SmtpBackend(
        host=mail.smtp_host, port=mail.smtp_port, security=mail.smtp_security,
        username=mail.smtp_username, password=mail.smtp_password, timeout=mail.smtp_timeout,
        ca_file=mail.smtp_ca_file,
    )
