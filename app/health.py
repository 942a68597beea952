"""Liveness and readiness probes."""

from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.api import Blueprint
from app.exceptions import ServiceUnavailable
from app.extensions import db
from app.schemas import ProblemSchema
from app.scopes import OPEN
from app.storage import current_storage

blp = Blueprint("health", __name__, description="Operations probes.")


class StatusOut(Schema):
    """Probe answer."""

    status = fields.String(metadata={"example": "ok"})


@blp.route("/healthz")
class Health(MethodView):
    """Liveness."""

    @blp.token_scope(OPEN)
    @blp.response(200, StatusOut)
    def get(self):
        """200 while the process runs."""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    """Readiness."""

    @blp.token_scope(OPEN)
    @blp.response(200, StatusOut)
    @blp.alt_response(503, schema=ProblemSchema, description="Database or storage down.")
    def get(self):
        """200 when the database answers and the storage is writable."""
        check_ready()
        return {"status": "ok"}


def check_ready() -> None:
    """Raise ServiceUnavailable unless the database answers and the storage takes writes."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        raise ServiceUnavailable("The database is not answering.") from error
    current_storage().check_writable()
