"""The delivery thread: one per worker process, so the service sends its own mail.

gunicorn forks workers from a master; a thread started before the fork would not survive
it, and one in the master would send from the wrong process. So the thread is started
lazily in the process that serves: by gunicorn's `post_worker_init` hook (gunicorn.conf.py)
and, for any other server, on the first request. A process id check restarts it in a
forked child. It polls every MAIL_POLL_SECONDS, and a commit in this process that queued
mail wakes it at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref

from flask import Flask

from app.mail.compose import on_mail_committed
from app.mail.delivery import deliver_due
from app.settings import EXTENSION_KEY as SETTINGS_KEY
from app.settings import settings_of

log = logging.getLogger(__name__)
EXTENSION_KEY = "signet.mail.thread"
MAX_FAILURE_WAIT_SECONDS = 60
_lock = threading.Lock()
_running: weakref.WeakSet[DeliveryThread] = weakref.WeakSet()


class DeliveryThread:
    """A daemon thread delivering the outbox of one app in this process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="signet-mail", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()
        _running.add(self)
        log.info("mail delivery thread started in process %d", self.pid)

    def wake(self) -> None:
        """Run a pass now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the message in hand, give back the rest of the claim, and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        """True while the thread runs in this very process."""
        return self.pid == os.getpid() and self._thread.is_alive()

    def _run(self) -> None:
        interval = settings_of(self.app).mail.poll_seconds
        failures = 0
        while not self._stop.is_set():
            self._wake.clear()
            wait = interval
            try:
                with self.app.app_context():
                    deliver_due(stop=self._stop)
                failures = 0
            # The database may be down for a while: the thread must outlive any outage.
            # It waits longer after each failed pass and logs the traceback only once.
            except Exception as error:
                failures += 1
                wait = min(interval * 2 ** min(failures, 5), MAX_FAILURE_WAIT_SECONDS)
                if failures == 1:
                    log.exception("mail delivery pass failed; retrying in %ds", wait)
                else:
                    log.warning("mail delivery pass failed again (%s); retrying in %ds",
                                type(error).__name__, wait)
            self._wake.wait(wait)


def ensure_delivery_thread(app: Flask) -> DeliveryThread | None:
    """Start this process's delivery thread for `app` unless it runs or is switched off."""
    # gunicorn's hook may serve another app (bench/bare_flask.py) with no settings.
    built = app.extensions.get(SETTINGS_KEY)
    if built is None or not built.mail.delivery_thread:
        return None
    current = app.extensions.get(EXTENSION_KEY)
    if current is not None and current.is_alive():
        return current
    with _lock:
        current = app.extensions.get(EXTENSION_KEY)
        if current is None or not current.is_alive():
            current = DeliveryThread(app)
            app.extensions[EXTENSION_KEY] = current
            current.start()
    return current


def _wake_all() -> None:
    for thread in list(_running):
        thread.wake()


def _stop_all() -> None:
    for thread in list(_running):
        if thread.pid == os.getpid():
            thread.stop()


on_mail_committed(_wake_all)
# A worker leaving normally gives back what it claimed instead of letting the lease run out.
atexit.register(_stop_all)
