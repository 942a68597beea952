"""The profile page's "Unlink" form for a provider identity: HTML cannot send DELETE."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.db_types import MAX_ID
from app.federation.schemas import UnlinkForm
from app.federation.service import unlink_identity
from app.ratelimit import password_checks_per_account
from app.schemas import ProblemSchema
from app.scopes import NEVER
from app.web.blueprint import FORM_UNAUTHORIZED, blp, form_twin


@blp.route(f"/profile/identities/<int(max={MAX_ID}):identity_id>/unlink")
class UnlinkIdentityForm(MethodView):
    """Unlink one of your provider identities from the profile page."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=FORM_UNAUTHORIZED + " Or a wrong password.")
    @password_checks_per_account
    @blp.arguments(UnlinkForm, location="body")
    @form_twin("Unlinked")
    @blp.alt_response(404, schema=ProblemSchema, description="Not one of your identities.")
    @blp.alt_response(409, schema=ProblemSchema, description="The last way left to sign in.")
    def post(self, form, identity_id: int):
        """The same as DELETE /api/v1/auth/identities/{id}, for an HTML form (cookie + CSRF)."""
        unlink_identity(user=current_user, identity_id=identity_id, **form)
