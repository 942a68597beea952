"""/dev/mail: the development inbox, reading the `file` backend's messages.

Mounted only outside production and only with MAIL_BACKEND=file (app.web.init_web): it
shows every message's links, tokens included, to whoever reaches the server.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template
from markupsafe import Markup, escape

from app.mail.inbox import list_messages, read_message
from app.scopes import OPEN, mark
from app.settings import settings

blp = Blueprint("dev_mail", __name__, url_prefix="/dev/mail")
LINK = re.compile(r"https?://[^\s<>\"']+")
# The HTML part is shown as the mail client would: its inline styles, no script, nothing
# fetched, no form sent anywhere.
MAIL_HTML_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")


def _with_links(text: str) -> Markup:
    """Escape the text part and make each http(s) link in it clickable."""
    pieces, last = [], 0
    for match in LINK.finditer(text):
        pieces += [escape(text[last:match.start()]),
                   Markup('<a href="{0}">{0}</a>').format(match.group())]
        last = match.end()
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


def reads_no_token(view):
    """Declare that the inbox reads no token: a personal token sent to it is ignored."""
    return mark(view, OPEN)


def _message(name: str):
    message = read_message(settings().mail.file_dir, name)
    if message is None:
        abort(404)
    return message


@blp.get("")
@reads_no_token
def inbox():
    """Every message the file backend wrote, newest first."""
    messages = list_messages(settings().mail.file_dir)
    return render_template("web/dev_mail.html", visitor=None, messages=messages)


@blp.get("/<name>")
@reads_no_token
def message(name: str):
    """One message: its headers and its text part with clickable links."""
    found = _message(name)
    return render_template("web/dev_mail_message.html", visitor=None, message=found,
                           text=_with_links(found.text))


@blp.get("/<name>/html")
@reads_no_token
def message_html(name: str):
    """The message's HTML part, as a mail client shows it."""
    response = Response(_message(name).html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MAIL_HTML_POLICY
    return response
