"""Sign-in sessions: a user's own (/auth/sessions) and an admin's view (/users/{id}/sessions)."""

from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt

from app.api import Blueprint
from app.db_types import MAX_ID
from app.schemas import ProblemSchema
from app.scopes import NEVER
from app.sessions.schemas import SessionList, session_items
from app.sessions.service import (
    end_other_sessions,
    end_session,
    end_user_sessions,
    list_sessions,
    list_user_sessions,
)

blp = Blueprint("sessions", __name__, url_prefix="/api/v1",
                description="Where an account is signed in, and signing out elsewhere.")

REAL_SIGN_IN_ONLY = "A personal access token was sent: sessions need a real sign-in."


@blp.route("/auth/sessions")
class OwnSessions(MethodView):
    """The signed-in user's live sessions."""

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @blp.response(200, SessionList)
    @blp.alt_response(403, schema=ProblemSchema, description=REAL_SIGN_IN_ONLY)
    def get(self):
        """List your sessions, newest first; `current` marks this one."""
        return session_items(list_sessions(user_id=current_user.id), get_jwt()["sid"])

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @blp.response(204)
    @blp.alt_response(403, schema=ProblemSchema, description=REAL_SIGN_IN_ONLY)
    def delete(self):
        """Sign out everywhere else: end every session but this one."""
        end_other_sessions(user=current_user, current_session_id=get_jwt()["sid"])


@blp.route(f"/auth/sessions/<int(max={MAX_ID}):session_id>")
class OwnSession(MethodView):
    """One of the signed-in user's sessions."""

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @blp.response(204)
    @blp.alt_response(403, schema=ProblemSchema, description=REAL_SIGN_IN_ONLY)
    @blp.alt_response(404, schema=ProblemSchema,
                      description="Unknown, already ended, or another user's session.")
    def delete(self, session_id: int):
        """End a session: its access and refresh tokens are refused at once, everywhere."""
        end_session(user=current_user, session_id=session_id)


@blp.route(f"/users/<int(max={MAX_ID}):user_id>/sessions")
class UserSessions(MethodView):
    """A user's sessions (admin)."""

    # Sessions are account security: never a personal token's, users:read included.
    @blp.token_scope(NEVER)
    @blp.admin_only()
    @blp.response(200, SessionList)
    @blp.alt_response(404, schema=ProblemSchema, description="No such user.")
    def get(self, user_id: int):
        """List a user's live sessions, newest first (admin)."""
        return session_items(list_user_sessions(user_id=user_id), get_jwt().get("sid"))

    @blp.token_scope(NEVER)
    @blp.admin_only()
    @blp.response(204)
    @blp.alt_response(404, schema=ProblemSchema, description="No such user.")
    def delete(self, user_id: int):
        """Sign a user out everywhere: end all their sessions (admin)."""
        end_user_sessions(admin=current_user, user_id=user_id)
