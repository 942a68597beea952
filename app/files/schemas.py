"""Files request and response schemas."""

from flask import url_for
from marshmallow import Schema, fields

from app.pagination import PageArgs, page_schema
from app.schemas import FileField


def content_url(file_id: int) -> str:
    """The path that serves a file's bytes; the storage key stays private."""
    return url_for("files.FileContent", file_id=file_id)


class FileUploadForm(Schema):
    """The multipart upload: one part named `file`."""

    file = FileField(required=True, metadata={
        "description": "The file; its type is judged from the bytes (ALLOWED_FILE_TYPES)."})


class FileListArgs(PageArgs):
    """Keyset pagination of the files listing."""


class FileOut(Schema):
    """File JSON as the contract defines it (never the storage path)."""

    id = fields.Integer(dump_only=True)
    original_name = fields.String(data_key="originalName")
    modified_name = fields.String(data_key="modifiedName")
    type = fields.String(metadata={"description": "MIME type detected from the bytes."})
    size = fields.Integer(metadata={"description": "Bytes."})
    url = fields.Function(lambda file: content_url(file.id), metadata={
        "type": "string", "example": "/api/v1/files/1/content"})
    created_at = fields.AwareDateTime(data_key="createdAt")


FilePage = page_schema(FileOut, "FilePage")
