"""Personal access tokens: created, listed and deleted by a person signed in."""

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.api import Blueprint
from app.db_types import MAX_ID
from app.ratelimit import failed_password_checks_per_account, password_checks_per_account
from app.schemas import ProblemSchema
from app.scopes import NEVER
from app.tokens.personal_tokens import create_token, list_tokens, revoke_token
from app.tokens.schemas import PersonalTokenCreated, PersonalTokenForm, PersonalTokenList

blp = Blueprint("tokens", __name__, url_prefix="/api/v1/auth",
                description="Personal access tokens (sgn_pat_...) for scripts and services.")

REAL_SIGN_IN_ONLY = "A personal access token was sent: tokens need a real sign-in."


@blp.route("/tokens")
class Tokens(MethodView):
    """The signed-in user's personal access tokens."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized="Missing or invalid token, or wrong current password.")
    @password_checks_per_account
    @failed_password_checks_per_account
    @blp.arguments(PersonalTokenForm, location="body")
    @blp.response(201, PersonalTokenCreated)
    @blp.alt_response(403, schema=ProblemSchema, description=(
        "A personal access token was sent, or admin scopes asked for by a non-admin."))
    @blp.alt_response(409, schema=ProblemSchema,
                      description="PERSONAL_TOKENS_PER_USER tokens held already.")
    @blp.alt_response(422, schema=ProblemSchema, description=(
        "Field errors; `current_password` missing."))
    @blp.alt_response(429, schema=ProblemSchema, description=(
        "Too many wrong passwords, or PASSWORD_CHECK_RATE_LIMIT reached."))
    def post(self, form):
        """Create a token (with your current password); its secret is shown only here."""
        return create_token(user=current_user, **form), 201

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @blp.response(200, PersonalTokenList)
    @blp.alt_response(403, schema=ProblemSchema, description=REAL_SIGN_IN_ONLY)
    def get(self):
        """List your tokens, newest first (never their secrets)."""
        return {"items": list_tokens(user=current_user)}


@blp.route(f"/tokens/<int(max={MAX_ID}):token_id>")
class TokenById(MethodView):
    """One personal access token."""

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @blp.response(204)
    @blp.alt_response(403, schema=ProblemSchema, description=REAL_SIGN_IN_ONLY)
    @blp.alt_response(404, schema=ProblemSchema, description="Unknown, or another user's.")
    def delete(self, token_id: int):
        """Delete a token: it is refused at once, everywhere."""
        revoke_token(user=current_user, token_id=token_id)
