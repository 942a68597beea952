"""The admin's audit listing, GET /api/v1/audit (the user's own is under /auth/me/audit)."""

from flask.views import MethodView

from app.api import Blueprint
from app.audit.schemas import AuditListArgs, AuditPage
from app.audit.service import list_events
from app.scopes import Scope

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                description="The audit trail of security events (admin).")


@blp.route("")
class AuditList(MethodView):
    """Every audit event (admin)."""

    @blp.token_scope(Scope.USERS_READ)
    @blp.admin_only()
    @blp.arguments(AuditListArgs, location="query")
    @blp.response(200, AuditPage)
    def get(self, args):
        """List audit events newest first, one keyset page at a time."""
        return list_events(**args)
