"""The browser page for files: upload form and the signed-in user's files, newest first."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask.views import MethodView

from app.files.schemas import FilePage
from app.files.service import list_files
from app.pagination import MAX_CURSOR_LENGTH, decode_cursor
from app.scopes import OPEN
from app.web.blueprint import NOTICE_PARAMETER, SIGNED_IN_PAGE_DOC, blp, render_page
from app.web.session import page_session

FILES_PER_PAGE = 20
CURSOR_PARAMETER = {
    "in": "query", "name": "cursor", "required": False,
    "description": "Show older files (the API's `nextCursor`); a bad one shows the first page.",
    "schema": {"type": "string", "maxLength": MAX_CURSOR_LENGTH},
}


@blp.route("/files")
class FilesPage(MethodView):
    """The signed-in user's files."""

    @blp.token_scope(OPEN)  # cookies only: a bearer token is never read
    @blp.doc(responses=SIGNED_IN_PAGE_DOC, parameters=[NOTICE_PARAMETER, CURSOR_PARAMETER])
    def get(self):
        """Upload a file (posts to POST /api/v1/files) and list your files."""
        session = page_session()
        if not session.signed_in:
            return redirect(url_for("web.LoginPage"), code=303)
        page = list_files(viewer=session.user, limit=FILES_PER_PAGE, cursor=_cursor())
        files = FilePage().dump(page)
        return render_page("web/files.html", session, files=files)


def _cursor() -> int | None:
    cursor = request.args.get("cursor", "")
    if not 0 < len(cursor) <= MAX_CURSOR_LENGTH:
        return None
    try:
        return decode_cursor(cursor)
    except ValueError:  # a hand-edited cursor: show the newest files instead
        return None
