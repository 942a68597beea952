"""Settings of the processes around the app: mail delivery and the gunicorn server."""

from __future__ import annotations

import multiprocessing
from typing import Any, Literal

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from app.settings.base import INSTANCE_DIR, Domain, setting


class MailSettings(Domain):
    """How messages leave: the backend, the SMTP server, the outbox's delivery pace."""

    backend: Literal["file", "smtp"] = setting(
        "MAIL_BACKEND", "file",
        "`file`: each message an `.eml` under `MAIL_FILE_DIR`; `smtp`: the server below")
    file_dir: str = setting(
        "MAIL_FILE_DIR", str(INSTANCE_DIR / "mail"), "where the `file` backend writes",
        shown="`instance/mail/`")
    sender: str | None = setting(
        "MAIL_FROM", None, "the sender of every message",
        shown="`Signet <no-reply@host of PUBLIC_BASE_URL>`")
    smtp_host: str | None = setting(
        "SMTP_HOST", None, "mail server; **required** with `MAIL_BACKEND=smtp`")
    smtp_port: int = setting(
        "SMTP_PORT", 587, "mail server port (`465` for `ssl`)", ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = setting(
        "SMTP_SECURITY", "starttls",
        "`starttls`, `ssl` (TLS from the first byte) or `none`; certificates are verified")
    smtp_username: str | None = setting(
        "SMTP_USERNAME", None, "login, when the server wants one")
    smtp_password: str | None = setting(
        "SMTP_PASSWORD", None, "password, with `SMTP_USERNAME`", secret=True)
    smtp_ca_file: str | None = setting(
        "SMTP_CA_FILE", None, "CA bundle for a server with a private certificate",
        shown="system store")
    smtp_timeout: int = setting(
        "SMTP_TIMEOUT", 10, "seconds for each SMTP connect and command", ge=1)
    delivery_thread: bool = setting(
        "MAIL_DELIVERY_THREAD", True,
        "each worker process delivers the outbox itself; `false` leaves it to "
        "`flask mail send-pending` or another instance")
    poll_seconds: int = setting(
        "MAIL_POLL_SECONDS", 2, "how often a delivery thread looks for due messages", ge=1)
    batch_size: int = setting(
        "MAIL_BATCH_SIZE", 50,
        "messages claimed, and sent over one connection, at a time", ge=1)
    # Longer than a batch can take (MAIL_BATCH_SIZE x SMTP_TIMEOUT): a slow sender is
    # never overtaken by another worker.
    claim_seconds: int = setting(
        "MAIL_CLAIM_SECONDS", 600,
        "lease on claimed messages; a worker that died holding them leaves them to others "
        "after this", ge=1)
    retry_base_seconds: int = setting(
        "MAIL_RETRY_BASE_SECONDS", 5, "first retry after this, doubling per failure", ge=1)
    retry_max_seconds: int = setting(
        "MAIL_RETRY_MAX_SECONDS", 300, "retries at most this far apart, forever", ge=1)
    failing_after_seconds: int = setting(
        "MAIL_FAILING_AFTER_SECONDS", 3600,
        "a message undelivered this long is flagged `failing` (still retried)", ge=1)
    rejected_after_seconds: int = setting(
        "MAIL_REJECTED_AFTER_SECONDS", 3 * 24 * 3600,
        "a message the server refuses for good (5xx) is dropped (`rejected`, body cleared) "
        "once it has waited this long; until then it is retried", ge=0)
    per_address_per_hour: int = setting(
        "MAIL_PER_ADDRESS_PER_HOUR", 5,
        "messages that requests queue for one address in an hour, whatever account or "
        "client asks; beyond it the client gets its usual answer and nothing is queued. "
        "`0` turns the cap off", ge=0)

    @model_validator(mode="after")
    def _smtp_needs_a_host(self) -> MailSettings:
        if self.backend == "smtp" and not self.smtp_host:
            raise ValueError(
                "SMTP_HOST must be set with MAIL_BACKEND=smtp: the mail server that delivers "
                "Signet's messages (for example SMTP_HOST=smtp.example.com, with SMTP_PORT, "
                "SMTP_USERNAME, SMTP_PASSWORD).")
        return self


def _default_workers() -> int:
    return min(4, multiprocessing.cpu_count() * 2)


class GunicornSettings(Domain):
    """The server gunicorn.conf.py starts (an empty GUNICORN_ACCESSLOG turns the log off)."""

    model_config = SettingsConfigDict(env_ignore_empty=False)

    host: str = setting("HOST", "127.0.0.1", "address gunicorn binds")
    port: int = setting("PORT", 8000, "port gunicorn binds", ge=1, le=65535)
    workers: int = setting(
        "WEB_CONCURRENCY", _default_workers, "gunicorn worker processes",
        shown="min(4, 2 x CPUs)", ge=1)
    threads: int = setting("GUNICORN_THREADS", 1, "threads per worker", ge=1)
    timeout: int = setting(
        "GUNICORN_TIMEOUT", 30, "seconds a silent worker lives before it is restarted", ge=1)
    graceful_timeout: int = setting(
        "GUNICORN_GRACEFUL_TIMEOUT", 30,
        "seconds a worker gets after `SIGTERM` to finish the request in hand (an upload "
        "included)", ge=0)
    accesslog: str = setting(
        "GUNICORN_ACCESSLOG", "-", "access log file; `-` is stdout, empty switches it off")
    forwarded_allow_ips: str = setting(
        "FORWARDED_ALLOW_IPS", "127.0.0.1",
        "proxies gunicorn believes about the scheme (`X-Forwarded-Proto`)")
    control_socket: str | None = setting(
        "GUNICORN_CONTROL_SOCKET", None,
        "gunicorn's control socket path; unset: none (two servers would share one path)")

    @model_validator(mode="before")
    @classmethod
    def _empty_is_unset(cls, data: Any) -> Any:
        # Only the access log gives "empty" a meaning (off); elsewhere it means "unset".
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != "" or k == "GUNICORN_ACCESSLOG"}
        return data
