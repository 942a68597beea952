"""User endpoints."""

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.api import Blueprint
from app.db_types import MAX_ID
from app.schemas import ProblemSchema
from app.scopes import Scope
from app.users.admin import deactivate_user, list_users, update_user
from app.users.schemas import UserListArgs, UserOut, UserPage, UserUpdateForm
from app.users.service import get_user_for

blp = Blueprint("users", __name__, url_prefix="/api/v1/users",
                description="User administration.")


@blp.route("")
class UserList(MethodView):
    """All users (admin)."""

    @blp.token_scope(Scope.USERS_READ)
    @blp.admin_only()
    @blp.arguments(UserListArgs, location="query")
    @blp.response(200, UserPage)
    def get(self, args):
        """List users newest first, one keyset page at a time."""
        return list_users(**args)


@blp.route(f"/<int(max={MAX_ID}):user_id>")
class UserById(MethodView):
    """One user."""

    @blp.token_scope(Scope.USERS_READ)
    @blp.signed_in()
    @blp.response(200, UserOut)
    @blp.alt_response(404, schema=ProblemSchema, description="Unknown, or not yours to see.")
    def get(self, user_id: int):
        """Return a user (admins: anyone; others: themselves)."""
        return get_user_for(current_user, user_id)

    @blp.token_scope(Scope.USERS_WRITE)
    @blp.admin_only()
    @blp.arguments(UserUpdateForm, location="body")
    @blp.response(200, UserOut)
    @blp.alt_response(404, schema=ProblemSchema, description="No such user.")
    @blp.alt_response(409, schema=ProblemSchema, description="Last active admin.")
    def patch(self, form, user_id: int):
        """Change a user's name, role or activity (admin); updatedBy becomes the admin."""
        return update_user(admin=current_user, user_id=user_id, **form)

    @blp.token_scope(Scope.USERS_WRITE)
    @blp.admin_only()
    @blp.response(204)
    @blp.alt_response(404, schema=ProblemSchema, description="No such user.")
    @blp.alt_response(409, schema=ProblemSchema, description="Last active admin.")
    def delete(self, user_id: int):
        """Deactivate a user (soft delete: the data is kept, the tokens stop working)."""
        deactivate_user(admin=current_user, user_id=user_id)
