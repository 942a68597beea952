"""Schemas and field rules shared by every blueprint."""

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from app.text import text_problem


def visible_text(value: str) -> None:
    """Refuse control characters, bidirectional controls and text with nothing visible.

    Also applied to emails: a quoted local part may otherwise carry ESC, VT or FF.
    """
    problem = text_problem(value)
    if problem is not None:
        raise ValidationError(problem)


NAME_RULES = [validate.Length(min=1, max=255), visible_text]
EMAIL_RULES = [validate.Length(max=255), visible_text]


class TrimmedString(fields.String):
    """A string with surrounding white space removed before validation."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error is answered."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(metadata={"example": "Conflict"})
    status = fields.Integer(metadata={"example": 409})
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "Field name to messages, on validation errors."},
    )


class FileField(Upload):
    """A multipart file part; anything else (a JSON string, say) is a field error."""

    default_error_messages = {"invalid": "Must be a file sent as multipart/form-data."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value
