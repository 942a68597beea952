"""The browser page for files: upload form, the signed-in user's files newest first, delete."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask.views import MethodView
from flask_jwt_extended import current_user

from app.db_types import MAX_ID
from app.files.schemas import FilePage
from app.files.service import delete_file_for, list_files
from app.pagination import MAX_CURSOR_LENGTH, decode_cursor
from app.schemas import ProblemSchema
from app.scopes import NEVER, OPEN
from app.users.service import owners_of_files
from app.web.blueprint import (
    FORM_UNAUTHORIZED,
    NOTICE_PARAMETER,
    SIGNED_IN_PAGE_DOC,
    blp,
    form_twin,
    render_page,
)
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
        # An admin sees everyone's files: each row names its owner.
        owners = (owners_of_files({file.id for file in page["items"]})
                  if session.user.is_admin else {})
        return render_page("web/files.html", session, files=FilePage().dump(page),
                           owners=owners)


@blp.route(f"/files/<int(max={MAX_ID}):file_id>/delete")
class DeleteFileForm(MethodView):
    """Delete a file from the files page."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=FORM_UNAUTHORIZED)
    @form_twin("Deleted")
    @blp.alt_response(403, schema=ProblemSchema,
                      description="Someone else's profile image: visible, not deletable.")
    @blp.alt_response(404, schema=ProblemSchema, description="Unknown, or not yours.")
    def post(self, file_id: int):
        """The same as DELETE /api/v1/files/{id}, for an HTML form (cookie + CSRF)."""
        delete_file_for(viewer=current_user, file_id=file_id)


def _cursor() -> int | None:
    cursor = request.args.get("cursor", "")
    if not 0 < len(cursor) <= MAX_CURSOR_LENGTH:
        return None
    try:
        return decode_cursor(cursor)
    except ValueError:  # a hand-edited cursor: show the newest files instead
        return None
