"""Composing messages: Jinja templates to an outbox row, links from PUBLIC_BASE_URL.

A message named `NAME` is two templates, `app/templates/mail/NAME.txt` and `NAME.html`,
each extending its layout (`mail/base.txt`, `mail/base.html`). The subject is the
`subject` block of the `.txt` template (one line; whitespace is collapsed). Both templates
receive the caller's `context` plus `product` ("Signet") and `base_url`.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from email.utils import formataddr, make_msgid
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db_types import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage
from app.settings import settings

log = logging.getLogger(__name__)
PRODUCT_NAME = "Signet"
SENDER_FALLBACK_HOST = "localhost"
SUBJECT_MAX = 255
# A recipient is an address the service already validated (a user's email); this only
# keeps header injection and oversized values out of the outbox.
RECIPIENT_PATTERN = re.compile(r"^[^\s@<>,;\"]+@[^\s@<>,;\"]+$")
# Set on a session that queued mail; its commit wakes this process's delivery thread.
SESSION_FLAG = "signet.mail_queued"


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for `endpoint`, rooted at PUBLIC_BASE_URL (never the request Host).

    Values that are not route arguments become the query string, as with `url_for`.
    Works outside a request too (the delivery thread, the CLI).
    """
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, values, force_external=False)
    return settings().web.public_base_url + path


def enqueue_message(*, to: str, template: str, context: dict) -> bool:
    """Render `template` for `to` and add it to the outbox in db.session (caller commits).

    Returns False, queueing nothing, when `to` has had MAIL_PER_ADDRESS_PER_HOUR messages
    in the last hour (`recipient_over_cap`); the caller's request goes on as if sent.
    """
    if len(to) > 255 or not RECIPIENT_PATTERN.match(to):
        raise ValueError("mail recipient must be a single plain address")
    subject, text_body, html_body = render_message(template, context)
    if recipient_over_cap(to):
        # Rendered all the same: the answer takes as long whether or not mail leaves.
        log.warning("mail not queued: its recipient reached MAIL_PER_ADDRESS_PER_HOUR "
                    "(template %s)", template)
        return False
    db.session.add(OutboxMessage(
        message_id=make_msgid(domain=_message_id_domain()),
        recipient=to,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
    ))
    db.session.info[SESSION_FLAG] = True
    return True


def recipient_over_cap(to: str) -> bool:
    """True when `to` already has MAIL_PER_ADDRESS_PER_HOUR messages of the last hour.

    Counted from the outbox (index recipient, createdAt), rows this session has queued
    but not committed included (autoflush), whatever account or client caused them: no
    requester can make one address a mail target beyond the cap. Requests racing in the
    same instant on several workers each count before the others commit, so the cap can
    be passed by at most the number of such concurrent requests; the per-route rate
    limits keep that small. Rows must live at least an hour to be counted: `flask mail
    purge` keeps them longer.
    """
    cap = settings().mail.per_address_per_hour
    if cap <= 0:
        return False
    since = utcnow() - timedelta(hours=1)
    sent = db.session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.recipient == to, OutboxMessage.created_at >= since))
    return sent >= cap


def render_message(template: str, context: dict) -> tuple[str, str, str]:
    """Return (subject, text, html) for the templates `mail/<template>.txt|.html`."""
    env = current_app.jinja_env
    values = {**context, "product": PRODUCT_NAME,
              "base_url": settings().web.public_base_url}
    text_template = env.get_template(f"mail/{template}.txt")
    if "subject" not in text_template.blocks:
        raise LookupError(f"mail/{template}.txt has no {{% block subject %}}")
    subject_parts = text_template.blocks["subject"](text_template.new_context(values))
    subject = " ".join("".join(subject_parts).split())[:SUBJECT_MAX]
    text_body = text_template.render(values)
    html_body = env.get_template(f"mail/{template}.html").render(values)
    return subject, text_body, html_body


def _message_id_domain() -> str:
    return urlsplit(settings().web.public_base_url).hostname or "localhost"


def on_mail_committed(callback: Callable[[], None]) -> None:
    """Call `callback()` after each commit of a session that queued mail (this process)."""
    _COMMIT_HOOKS.append(callback)


_COMMIT_HOOKS: list[Callable[[], None]] = []


def wake_after_commit(session: Session) -> None:
    """after_commit: call the `on_mail_committed` callbacks when this commit queued mail."""
    if session.info.pop(SESSION_FLAG, False):
        for callback in _COMMIT_HOOKS:
            callback()


def forget_after_rollback(session: Session) -> None:
    """after_rollback: the mail of a rolled-back transaction was never queued."""
    session.info.pop(SESSION_FLAG, None)


def mail_from() -> str:
    """MAIL_FROM, or "Signet <no-reply@host of PUBLIC_BASE_URL>" ("localhost" for an IP)."""
    configured = settings().mail.sender
    if configured:
        return configured
    host = urlsplit(settings().web.public_base_url).hostname or SENDER_FALLBACK_HOST
    return formataddr((PRODUCT_NAME, f"no-reply@{_mail_domain(host)}"))


def _mail_domain(host: str) -> str:
    # "no-reply@127.0.0.1" is no valid address (an IP needs brackets) and mail filters
    # distrust one: a development server reached by its address sends as localhost.
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return SENDER_FALLBACK_HOST
