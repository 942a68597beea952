"""Audit schemas: event JSON and the listing's query parameters."""

from marshmallow import Schema, fields, validate

from app.audit.models import MAX_ACTION_LENGTH
from app.db_types import MAX_ID
from app.pagination import PageArgs, page_schema


class AuditEventOut(Schema):
    """An audit event as the contract names its fields."""

    id = fields.Integer(dump_only=True)
    action = fields.String()
    actor_id = fields.Integer(data_key="actorId", allow_none=True)
    subject_id = fields.Integer(data_key="subjectId", allow_none=True)
    ip = fields.String(allow_none=True)
    request_id = fields.String(data_key="requestId", allow_none=True)
    details = fields.Dict()
    created_at = fields.AwareDateTime(data_key="createdAt")


class AuditListArgs(PageArgs):
    """Query parameters of the admin audit listing; filters combine with AND."""

    action = fields.String(load_default=None, validate=validate.Regexp(
        rf"^[a-z_.]{{1,{MAX_ACTION_LENGTH}}}$"), metadata={
        "description": "Only events of this action, such as `auth.login_failed`."})
    actor_id = fields.Integer(data_key="actorId", load_default=None,
                              validate=validate.Range(min=1, max=MAX_ID))
    subject_id = fields.Integer(data_key="subjectId", load_default=None,
                                validate=validate.Range(min=1, max=MAX_ID))


AuditPage = page_schema(AuditEventOut, "AuditPage")
