"""Session list schemas."""

from __future__ import annotations

from marshmallow import Schema, fields


class SessionOut(Schema):
    """One sign-in session as its user (or an admin) sees it."""

    id = fields.Integer()
    created_at = fields.AwareDateTime(data_key="createdAt")
    last_used_at = fields.AwareDateTime(data_key="lastUsedAt")
    ip = fields.String(allow_none=True, metadata={
        "description": "The client's address as the service saw it (after trusted proxies)."})
    user_agent = fields.String(data_key="userAgent", allow_none=True, metadata={
        "description": "The User-Agent of the sign-in, cut to 255 characters."})
    current = fields.Boolean(metadata={"description": "True for the session of this request."})


class SessionList(Schema):
    """Live sessions, newest first."""

    items = fields.List(fields.Nested(SessionOut))


def session_items(sessions, current_id: int | None) -> dict:
    """The list body: each session with `current` set for the one of this request."""
    return {"items": [{
        "id": s.id, "created_at": s.created_at, "last_used_at": s.last_used_at,
        "ip": s.ip, "user_agent": s.user_agent, "current": s.id == current_id,
    } for s in sessions]}
