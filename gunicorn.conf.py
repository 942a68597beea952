"""Gunicorn settings: bind from HOST and PORT (8000), workers from WEB_CONCURRENCY.

Every setting of the service is built and checked here, in the master, before a worker
starts: a wrong one stops gunicorn with one sentence naming it (app/settings), instead of
workers that die at boot one after another.
"""

import os
import sys

from gunicorn.http import wsgi as _gunicorn_wsgi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from app.settings import ConfigError, build_settings  # after the path above

try:
    _settings = build_settings()  # the environment and .env, as each worker reads them
except ConfigError as error:
    raise SystemExit(str(error)) from None
_server = _settings.gunicorn

bind = f"{_server.host}:{_server.port}"
workers = _server.workers
threads = _server.threads
timeout = _server.timeout
# On SIGTERM (a deploy, `systemctl stop`) workers finish the request in hand, uploads
# included, for up to this long before they are killed.
graceful_timeout = _server.graceful_timeout
# "-" is stdout; an empty GUNICORN_ACCESSLOG switches the access log off (the tests do).
accesslog = _server.accesslog or None

# The app answers every request with X-Request-ID (app/request_id.py); printing it here
# ties each access line to the app's own log lines for the same request.
# The path is logged without its query string (%(U)s, not the request line %(r)s): links
# in mail carry tokens in `?token=`, and no log line may hold one.
access_log_format = (
    '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s "%(a)s"'
)
errorlog = "-"
# gunicorn's largest request line (the default is 4094): query parameters documented up to
# 200 characters may arrive percent-encoded at 12 bytes a character.
limit_request_line = 8190
forwarded_allow_ips = _server.forwarded_allow_ips
# gunicorn's control socket lives at one fixed path per user: two servers on one machine
# (tests, benchmarks, a second instance) would fight over it. Opt in with a path of its own.
control_socket = _server.control_socket
control_socket_disable = control_socket is None


# gunicorn names itself in a `Server` header on every answer and has no setting to stop:
# drop that line from the headers it writes (this file runs in the master, before the
# workers fork). Announcing the server and its version only helps someone choose exploits.
_default_headers = _gunicorn_wsgi.Response.default_headers


def _headers_without_server(response):
    return [line for line in _default_headers(response)
            if not line.lower().startswith("server:")]


_gunicorn_wsgi.Response.default_headers = _headers_without_server


def when_ready(server):
    """Name the address to open, and warn when mailed links would point elsewhere."""
    from app.settings.local import base_url_warning

    bind = server.cfg.bind[0]
    if bind.startswith(("unix:", "fd://")):
        return
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    base_url = _settings.web.public_base_url
    server.log.info("Signet is at %s (PUBLIC_BASE_URL)", base_url)
    if _settings.app_env != "production" and (
            warning := base_url_warning(base_url, host, port)):
        server.log.warning(warning)


def post_worker_init(worker):
    """Start the mail delivery thread in each worker (never in the master: see app/mail)."""
    from app.mail.worker import ensure_delivery_thread

    app = worker.wsgi  # the app this worker loaded: Signet's, or a bench's bare Flask
    if hasattr(app, "config"):
        ensure_delivery_thread(app)


def worker_exit(server, worker):
    """Leave the worker at once after its exit handlers: no interpreter teardown."""
    # The worker is leaving through sys.exit (gunicorn calls this hook on the way out).
    # Python would then tear down every module and collect the whole heap: seconds of CPU
    # per worker, for nothing, which a restart or `systemctl stop` waits for. The parts that
    # matter still run: other non-daemon threads finish, the atexit handlers give back
    # claimed mail and flush the log, and the database pools say goodbye to the server.
    error = sys.exc_info()[1]
    if worker.pid != os.getpid():
        return  # the master reaping a worker that died: nothing to do here
    if not isinstance(error, SystemExit) or not isinstance(error.code, int | None):
        return  # an unexpected way out, or a message to print: Python reports it as usual
    import atexit
    import threading

    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    app = getattr(worker, "wsgi", None)
    if hasattr(app, "extensions") and "sqlalchemy" in app.extensions:
        with app.app_context():
            for engine in app.extensions["sqlalchemy"].engines.values():
                engine.dispose()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(error.code or 0)
