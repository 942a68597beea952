"""The profile page's "Your sessions" form: HTML forms cannot send DELETE, so they post here."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.auth.sessions import end_session
from app.db_types import MAX_ID
from app.schemas import ProblemSchema
from app.scopes import NEVER
from app.web.pages import HTML, blp


@blp.route(f"/profile/sessions/<int(max={MAX_ID}):session_id>/end")
class EndSessionForm(MethodView):
    """End one of your sessions from the profile page."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=(
        "Not signed in, or the form's csrf_token does not match the session cookie."))
    @blp.response(204, description="Ended (a JSON client, or a form without `next`).")
    @blp.alt_response(200, content_type="text/html", description=(
        "A browser form without `next`: the result page."), example="<html>...</html>")
    @blp.alt_response(303, description="A browser form with `next`: redirect there.",
                      headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(403, schema=ProblemSchema, description="A personal access token.")
    @blp.alt_response(404, schema=ProblemSchema, description="Unknown, ended, or not yours.")
    @blp.doc(responses={"200": {
        "description": "The HTML result page.", "content": HTML}})
    def post(self, session_id: int):
        """The same as DELETE /api/v1/auth/sessions/{id}, for an HTML form (cookie + CSRF)."""
        end_session(user=current_user, session_id=session_id)
