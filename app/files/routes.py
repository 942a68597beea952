"""Files endpoints: thin wrappers that parse, call a service and dump."""

from flask import url_for
from flask.views import MethodView
from flask_jwt_extended import current_user

from app.api import Blueprint
from app.db_types import MAX_ID
from app.files.download import file_response
from app.files.schemas import FileListArgs, FileOut, FilePage, FileUploadForm
from app.files.service import create_file, delete_file_for, get_file_for, list_files
from app.ratelimit import uploads_per_user
from app.schemas import ProblemSchema
from app.scopes import Scope

blp = Blueprint("files", __name__, url_prefix="/api/v1/files",
                description="Uploading, listing, downloading and deleting files.")

NOT_FOUND = "Unknown file, or another user's private file."


@blp.route("")
class Files(MethodView):
    """The signed-in user's files."""

    @blp.token_scope(Scope.FILES_WRITE)
    @blp.signed_in()
    @uploads_per_user
    @blp.arguments(FileUploadForm, location="files")
    @blp.response(201, FileOut, headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(413, schema=ProblemSchema, description=(
        "Over MAX_CONTENT_LENGTH, or over the storage quota (USER_STORAGE_QUOTA_BYTES; "
        "problem `type` ending in `quota-exceeded`)."))
    @blp.alt_response(415, schema=ProblemSchema,
                      description="The bytes are not of a type in ALLOWED_FILE_TYPES.")
    @blp.alt_response(429, schema=ProblemSchema,
                      description="Too many uploads from this account (UPLOAD_RATE_LIMIT).")
    def post(self, form):
        """Upload a file (multipart field `file`)."""
        file = create_file(upload=form["file"], owner=current_user)
        return file, 201, {"Location": url_for("files.FileById", file_id=file.id)}

    @blp.token_scope(Scope.FILES_READ)
    @blp.signed_in()
    @blp.arguments(FileListArgs, location="query")
    @blp.response(200, FilePage)
    def get(self, query):
        """List your files (admins: every file), newest first."""
        return list_files(viewer=current_user, **query)


@blp.route(f"/<int(max={MAX_ID}):file_id>")
class FileById(MethodView):
    """One file's metadata."""

    @blp.token_scope(Scope.FILES_READ)
    @blp.signed_in()
    @blp.response(200, FileOut)
    @blp.alt_response(404, schema=ProblemSchema, description=NOT_FOUND)
    def get(self, file_id: int):
        """Return a file's metadata (owner, admin; anyone signed in for a profile image)."""
        return get_file_for(viewer=current_user, file_id=file_id)

    @blp.token_scope(Scope.FILES_WRITE)
    @blp.signed_in()
    @blp.response(204)
    @blp.alt_response(403, schema=ProblemSchema,
                      description="Someone else's profile image: visible, not deletable.")
    @blp.alt_response(404, schema=ProblemSchema, description=NOT_FOUND)
    def delete(self, file_id: int):
        """Delete a file and its bytes; a user showing it loses their profile image."""
        delete_file_for(viewer=current_user, file_id=file_id)


@blp.route(f"/<int(max={MAX_ID}):file_id>/content")
class FileContent(MethodView):
    """One file's bytes."""

    @blp.token_scope(Scope.FILES_READ)
    @blp.signed_in()
    @blp.response(200, content_type="application/octet-stream", description=(
        "The bytes, with the stored Content-Type, ETag and Content-Disposition "
        "(inline for JPEG, PNG, GIF and WebP; attachment otherwise)."))
    @blp.alt_response(206, description="The requested Range.")
    @blp.alt_response(304, description="If-None-Match matched the ETag.")
    @blp.alt_response(302, description="Redirect to a short-lived presigned URL "
                      "(s3 backend with S3_PRESIGNED_DOWNLOADS).")
    @blp.alt_response(404, schema=ProblemSchema, description=NOT_FOUND)
    @blp.alt_response(416, schema=ProblemSchema, description="The Range cannot be satisfied.")
    def get(self, file_id: int):
        """Download a file's bytes (Range and If-None-Match supported)."""
        return file_response(get_file_for(viewer=current_user, file_id=file_id))
