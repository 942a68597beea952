"""Outgoing mail: a transactional outbox delivered by the running service.

Public API: `enqueue_message(to=..., template=..., context=...)` adds a rendered message
to `db.session` (the caller's transaction commits it; a recipient that is not one plain
address is a ValueError); `public_url(endpoint, **values)` builds links from
PUBLIC_BASE_URL; `render_message(template, context)` renders without queueing (the same
cost for a request that must not reveal whether it sent anything). This package imports
no domain package.
"""

from __future__ import annotations

from flask import Flask

from app.mail.backends import build_backend
from app.mail.compose import enqueue_message, public_url, render_message
from app.mail.delivery import EXTENSION_KEY, deliver_due
from app.mail.maintenance import outbox_status
from app.mail.worker import ensure_delivery_thread
from app.settings import settings_of

__all__ = ["deliver_due", "enqueue_message", "init_mail", "outbox_status", "public_url",
           "render_message"]


def init_mail(app: Flask) -> None:
    """Build the mail backend; start delivery lazily in the process that serves."""
    mail = settings_of(app).mail
    app.extensions[EXTENSION_KEY] = build_backend(mail)
    if mail.delivery_thread:
        # Servers other than gunicorn (which starts it in post_worker_init) get the
        # thread on their first request, in the process that handles it.
        app.before_request(lambda: ensure_delivery_thread(app) and None)
