"""Auth endpoints: thin wrappers that parse, call a service and dump."""

from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required

from app.api import Blueprint
from app.auth.guards import optional_user
from app.auth.schemas import LoginForm, RegisterForm, TokenOut
from app.auth.service import authenticate, register_user
from app.auth.tokens import issue_token_pair
from app.schemas import ProblemSchema
from app.users.schemas import UserOut

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                description="Registration, login and the signed-in user.")


@blp.route("/register")
class Register(MethodView):
    """Create an account."""

    @blp.arguments(RegisterForm, location="body")
    @blp.response(201, UserOut, headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(401, schema=ProblemSchema, description="Invalid token sent.")
    @blp.alt_response(403, schema=ProblemSchema, description="Not allowed to register.")
    @blp.alt_response(409, schema=ProblemSchema, description="Email taken.")
    @blp.alt_response(413, schema=ProblemSchema, description="Body or image too large.")
    def post(self, form):
        """Register a user (anyone when self-registration is on, or an admin)."""
        user = register_user(**form, caller=optional_user())
        return user, 201, {"Location": f"/api/v1/users/{user.id}"}


@blp.route("/login")
class Login(MethodView):
    """Exchange credentials for tokens."""

    @blp.arguments(LoginForm, location="body")
    @blp.response(200, TokenOut)
    @blp.alt_response(401, schema=ProblemSchema, description="Bad credentials.")
    @blp.alt_response(403, schema=ProblemSchema, description="Account deactivated.")
    def post(self, form):
        """Log in with email and password."""
        return issue_token_pair(authenticate(**form))


@blp.route("/me")
class Me(MethodView):
    """The signed-in user."""

    @jwt_required()
    @blp.response(200, UserOut)
    @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Return the signed-in user."""
        return current_user
