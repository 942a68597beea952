"""Files request and response schemas."""

from marshmallow import Schema, fields, validate

from app.schemas import FileField


class FileUploadForm(Schema):
    """The multipart upload: one part named `file`."""

    file = FileField(required=True, metadata={
        "description": "The file; its type is judged from the bytes (ALLOWED_FILE_TYPES)."})


class FileListQuery(Schema):
    """Keyset pagination of the files listing."""

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200), metadata={
        "description": "`nextCursor` of the previous page."})


class FileOut(Schema):
    """File JSON as the contract defines it (never the storage path)."""

    id = fields.Integer(dump_only=True)
    original_name = fields.String(data_key="originalName")
    modified_name = fields.String(data_key="modifiedName")
    type = fields.String(metadata={"description": "MIME type detected from the bytes."})
    size = fields.Integer(metadata={"description": "Bytes."})
    url = fields.String(metadata={"example": "/api/v1/files/1/content"})
    created_at = fields.AwareDateTime(data_key="createdAt")


class FilePageOut(Schema):
    """One page of files, newest first."""

    items = fields.List(fields.Nested(FileOut))
    next_cursor = fields.String(data_key="nextCursor", allow_none=True)
