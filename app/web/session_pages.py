"""The profile page's "Your sessions" form: HTML forms cannot send DELETE, so they post here."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.db_types import MAX_ID
from app.schemas import ProblemSchema
from app.scopes import NEVER
from app.sessions.service import end_session
from app.web.blueprint import FORM_UNAUTHORIZED, blp, form_twin


@blp.route(f"/profile/sessions/<int(max={MAX_ID}):session_id>/end")
class EndSessionForm(MethodView):
    """End one of your sessions from the profile page."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=FORM_UNAUTHORIZED)
    @form_twin("Ended")
    @blp.alt_response(403, schema=ProblemSchema, description="A personal access token.")
    @blp.alt_response(404, schema=ProblemSchema, description="Unknown, ended, or not yours.")
    def post(self, session_id: int):
        """The same as DELETE /api/v1/auth/sessions/{id}, for an HTML form (cookie + CSRF)."""
        end_session(user=current_user, session_id=session_id)
