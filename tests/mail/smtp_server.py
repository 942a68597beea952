"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

Plain, or with a login over STARTTLS or over TLS from the first byte (SMTPS), using a
self-signed certificate made on the spot. It can be stopped and started again on the same
port: that is how the tests make an outage.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.live_server import free_port

USERNAME = "signet-mailer"
PASSWORD = "smtp-pass-Kx81-never-logged"
# A RCPT to this address is refused for good (550) to show a per-message failure.
REFUSED = "refused@example.com"
# A RCPT to this address is refused for now (451, as greylisting does): try again later.
GREYLISTED = "later@example.com"


class Collector:
    """aiosmtpd handler: accepts every message and keeps it, parsed."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay  # seconds before accepting each message (a slow server)
        self.messages: list[EmailMessage] = []
        self.received_at: list[float] = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 no such mailbox here"
        if address == GREYLISTED:
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.received_at.append(time.time())
        return "250 Message accepted"

    def message_ids(self) -> list[str]:
        """Message-IDs of everything received, in order (duplicates kept)."""
        with self._lock:
            return [m["Message-ID"] for m in self.messages]


def _authenticate(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login == USERNAME.encode() \
            and auth_data.password == PASSWORD.encode():
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a certificate for 127.0.0.1/localhost and its key; return both paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class SmtpServer:
    """aiosmtpd on 127.0.0.1:<port>; `security` "starttls" or "ssl" also wants a login."""

    def __init__(self, directory: Path, *, security: str = "none", delay: float = 0.0) -> None:
        self.port = free_port()
        self.collector = Collector(delay)
        self.security = security
        self.tls = security != "none"
        self._controller: Controller | None = None
        self.cert_path: Path | None = None
        if self.tls:
            self.cert_path, key_path = self_signed_certificate(directory)
            self._tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls_context.load_cert_chain(self.cert_path, key_path)

    def start(self) -> SmtpServer:
        """Listen (again) on the same port."""
        kwargs = {}
        if self.security == "starttls":
            kwargs = {"tls_context": self._tls_context, "require_starttls": True,
                      "authenticator": _authenticate, "auth_required": True,
                      "auth_require_tls": True}
        elif self.security == "ssl":
            # The whole session is TLS already: no STARTTLS to require before AUTH.
            kwargs = {"ssl_context": self._tls_context, "authenticator": _authenticate,
                      "auth_required": True, "auth_require_tls": False}
        self._controller = Controller(self.collector, hostname="127.0.0.1", port=self.port,
                                      ready_timeout=10, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until `start` again."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self) -> dict:
        """The app settings that deliver to this server."""
        base = {"MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port,
                "SMTP_TIMEOUT": 5}
        if self.tls:
            return {**base, "SMTP_SECURITY": self.security, "SMTP_USERNAME": USERNAME,
                    "SMTP_PASSWORD": PASSWORD, "SMTP_CA_FILE": str(self.cert_path)}
        return {**base, "SMTP_SECURITY": "none"}

    def environment(self) -> dict[str, str]:
        """The same settings as environment variables, for a live server."""
        return {name: str(value) for name, value in self.settings().items()}

    @property
    def messages(self) -> list[EmailMessage]:
        """Everything received so far."""
        return list(self.collector.messages)

    def wait_for(self, count: int, timeout: float) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived (or `timeout`); return them all."""
        deadline = time.monotonic() + timeout
        while len(self.collector.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.messages
