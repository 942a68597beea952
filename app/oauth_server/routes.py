"""JSON API of the OpenID Provider: applications (admin) and the user's grants."""

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.api import Blueprint
from app.db_types import MAX_ID
from app.oauth_server.clients import (
    create_client,
    delete_client,
    get_client,
    list_clients,
    rotate_secret,
    update_client,
)
from app.oauth_server.grants import list_grants, revoke_grant
from app.oauth_server.schemas import (
    ClientCreated,
    ClientForm,
    ClientList,
    ClientOut,
    ClientPatch,
    GrantList,
    grant_items,
)
from app.schemas import ProblemSchema
from app.scopes import NEVER

blp = Blueprint("oauth_clients", __name__, url_prefix="/api/v1",
                description="OpenID Provider: applications that offer Sign in with Signet, "
                            "and the applications a user let in.")
CLIENT_PATH = "/oauth/clients/<string(maxlength=64):client_id>"


@blp.route("/oauth/clients")
class Clients(MethodView):
    """Registered applications (admin)."""

    @blp.token_scope(NEVER)
    @blp.admin_only()
    @blp.arguments(ClientForm, location="body")
    @blp.response(201, ClientCreated)
    @blp.alt_response(422, schema=ProblemSchema, description="Field errors.")
    def post(self, form):
        """Register an application; a confidential one's secret is shown only here."""
        return create_client(admin=current_user, **form), 201

    @blp.token_scope(NEVER)
    @blp.admin_only()
    @blp.response(200, ClientList)
    def get(self):
        """List applications, newest first."""
        return {"items": list_clients()}


@blp.route(CLIENT_PATH)
class ClientById(MethodView):
    """One application (admin)."""

    @blp.token_scope(NEVER)
    @blp.admin_only()
    @blp.response(200, ClientOut)
    @blp.alt_response(404, schema=ProblemSchema, description="No such application.")
    def get(self, client_id: str):
        """Return an application."""
        return get_client(client_id)

    @blp.token_scope(NEVER)
    @blp.admin_only()
    @blp.arguments(ClientPatch, location="body")
    @blp.response(200, ClientOut)
    @blp.alt_response(404, schema=ProblemSchema, description="No such application.")
    @blp.alt_response(422, schema=ProblemSchema, description="Field errors.")
    def patch(self, changes, client_id: str):
        """Change an application's name, URIs, scopes or firstParty."""
        return update_client(admin=current_user, client_id=client_id, changes=changes)

    @blp.token_scope(NEVER)
    @blp.admin_only()
    @blp.response(204)
    @blp.alt_response(404, schema=ProblemSchema, description="No such application.")
    def delete(self, client_id: str):
        """Remove an application: every grant and token it held ends."""
        delete_client(admin=current_user, client_id=client_id)


@blp.route(f"{CLIENT_PATH}/secret")
class ClientSecret(MethodView):
    """A confidential application's secret (admin)."""

    @blp.token_scope(NEVER)
    @blp.admin_only()
    @blp.response(200, ClientCreated)
    @blp.alt_response(404, schema=ProblemSchema, description="No such application.")
    @blp.alt_response(409, schema=ProblemSchema, description="A public client has no secret.")
    def post(self, client_id: str):
        """Rotate the secret: the new one is shown only here, the old one stops now."""
        return rotate_secret(admin=current_user, client_id=client_id)


@blp.route("/auth/grants")
class Grants(MethodView):
    """The applications the signed-in user let in."""

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @blp.response(200, GrantList)
    def get(self):
        """List your grants: application, scopes, createdAt, lastUsedAt."""
        return {"items": grant_items(list_grants(user=current_user))}


@blp.route(f"/auth/grants/<int(max={MAX_ID}):grant_id>")
class GrantById(MethodView):
    """One grant."""

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @blp.response(204)
    @blp.alt_response(404, schema=ProblemSchema, description="Unknown, or another user's.")
    def delete(self, grant_id: int):
        """Revoke a grant: every token issued to that application for you ends now."""
        revoke_grant(user=current_user, grant_id=grant_id)
