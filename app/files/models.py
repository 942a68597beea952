"""The `files` table: one row for every stored blob."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class File(db.Model):
    """Metadata of a stored file; `path` is the storage key and never leaves the server."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(512), nullable=False)
    type: Mapped[str] = mapped_column(String(127), nullable=False)
    original_name: Mapped[str] = mapped_column("originalName", String(255), nullable=False)
    modified_name: Mapped[str] = mapped_column(
        "modifiedName", String(255), nullable=False, unique=True
    )
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)
    owner_id: Mapped[int | None] = mapped_column(
        "ownerId", ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", UTCDateTime(), default=utcnow, nullable=False
    )

    def __repr__(self) -> str:
        return f"<File {self.id} {self.modified_name}>"
