"""User endpoints."""

from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required

from app.api import Blueprint
from app.schemas import ProblemSchema
from app.users.schemas import UserOut
from app.users.service import get_user_for

blp = Blueprint("users", __name__, url_prefix="/api/v1/users",
                description="User administration.")


@blp.route("/<int:user_id>")
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
