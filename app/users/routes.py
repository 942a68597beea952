"""User endpoints."""

from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required

from app.api import Blueprint
from app.db_types import MAX_ID
from app.guards import admin_required
from app.schemas import ProblemSchema
from app.users.admin import deactivate_user, list_users, update_user
from app.users.schemas import UserListArgs, UserOut, UserPage, UserUpdateForm
from app.users.service import get_user_for

blp = Blueprint("users", __name__, url_prefix="/api/v1/users",
                description="User administration.")


@blp.route("")
class UserList(MethodView):
    """All users (admin)."""

    @admin_required
    @blp.arguments(UserListArgs, location="query")
    @blp.response(200, UserPage)
    @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
    @blp.alt_response(403, schema=ProblemSchema, description="Not an admin.")
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, args):
        """List users newest first, one keyset page at a time."""
        return list_users(**args)


@blp.route(f"/<int(max={MAX_ID}):user_id>")
class UserById(MethodView):
    """One user."""

    @jwt_required()
    @blp.response(200, UserOut)
    @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
    @blp.alt_response(404, schema=ProblemSchema, description="Unknown, or not yours to see.")
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, user_id: int):
        """Return a user (admins: anyone; others: themselves)."""
        return get_user_for(current_user, user_id)

    @admin_required
    @blp.arguments(UserUpdateForm, location="body")
    @blp.response(200, UserOut)
    @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
    @blp.alt_response(403, schema=ProblemSchema, description="Not an admin.")
    @blp.alt_response(404, schema=ProblemSchema, description="No such user.")
    @blp.alt_response(409, schema=ProblemSchema, description="Last active admin.")
    @blp.doc(security=[{"bearerAuth": []}])
    def patch(self, form, user_id: int):
        """Change a user's name, role or activity (admin); updatedBy becomes the admin."""
        return update_user(admin=current_user, user_id=user_id, **form)

    @admin_required
    @blp.response(204)
    @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
    @blp.alt_response(403, schema=ProblemSchema, description="Not an admin.")
    @blp.alt_response(404, schema=ProblemSchema, description="No such user.")
    @blp.alt_response(409, schema=ProblemSchema, description="Last active admin.")
    @blp.doc(security=[{"bearerAuth": []}])
    def delete(self, user_id: int):
        """Deactivate a user (soft delete: the data is kept, the tokens stop working)."""
        deactivate_user(admin=current_user, user_id=user_id)
