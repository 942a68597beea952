"""Keyset pagination, newest first: `{"items": [...], "nextCursor": str | None}`.

A cursor is the id of the last item shown, base64-wrapped so clients treat it as opaque.
Pages are read with `id < cursor ORDER BY id DESC`, which an index answers as fast for
page 5,000 as for page 1 and which stays stable while rows are inserted (new rows get
larger ids and land before the first page, never between two pages).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import namedtuple
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, bindparam
from sqlalchemy.orm import InstrumentedAttribute

from app.db_types import MAX_ID
from app.extensions import db
from app.prepared import PreparedSelect

DEFAULT_LIMIT = 20
MAX_CURSOR_LENGTH = 64  # ours are about 32 characters
CURSOR_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")  # unpadded base64url
MAX_LIMIT = 100
CURSOR_VERSION = 1


def encode_cursor(last_id: int) -> str:
    """Return the opaque cursor that continues after item `last_id`."""
    raw = json.dumps({"v": CURSOR_VERSION, "id": last_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the id a cursor continues after; ValueError when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, UnicodeError, ValueError, RecursionError):  # "[[[[..." too
        raise ValueError("not a cursor") from None
    if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
        raise ValueError("not a cursor")
    last_id = data.get("id")
    # Beyond MAX_ID no row can exist, and SQLite cannot even bind such an integer (a 500).
    if type(last_id) is not int or not 1 <= last_id <= MAX_ID:
        raise ValueError("not a cursor")
    return last_id


class CursorField(fields.String):
    """A `cursor` query parameter, loaded as the id to continue after."""

    default_error_messages = {"invalid_cursor": "Not a valid cursor; use a nextCursor value."}

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > MAX_CURSOR_LENGTH or not CURSOR_PATTERN.fullmatch(text):
            raise self.make_error("invalid_cursor")
        try:
            return decode_cursor(text)
        except ValueError:
            raise self.make_error("invalid_cursor") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else encode_cursor(value)


class PageArgs(Schema):
    """`limit` (1 to 100, default 20) and `cursor` (a nextCursor from the previous page)."""

    limit = fields.Integer(load_default=DEFAULT_LIMIT,
                           validate=validate.Range(min=1, max=MAX_LIMIT))
    # Documented bounds keep generated clients (and fuzzers) inside gunicorn's request line.
    cursor = CursorField(load_default=None, metadata={
        "description": "The nextCursor of the previous page; omit for the first page.",
        "maxLength": MAX_CURSOR_LENGTH, "pattern": CURSOR_PATTERN.pattern})


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """Return a `{"items": [...], "nextCursor": ...}` schema class for `item_schema`."""
    return Schema.from_dict({
        # Nested with many, not List(Nested): the item schema dumps the page in one call.
        "items": fields.Nested(item_schema, many=True),
        "next_cursor": fields.String(data_key="nextCursor", allow_none=True, metadata={
            "description": "Pass as `cursor` for the next page; null on the last page."}),
    }, name=name)


def keyset_page(query: Select, id_column: InstrumentedAttribute, *, limit: int,
                after: int | None) -> dict[str, Any]:
    """Run `query` newest first from after `after`; return items and the next cursor."""
    if after is not None:
        query = query.where(id_column < after)
    rows = db.session.scalars(query.order_by(id_column.desc()).limit(limit + 1)).all()
    return _page(rows, limit)


class KeysetStatement:
    """A keyset-paginated column query built once and read a page at a time, as rows.

    For the hottest listings: building a statement on every request (and computing its
    cache key) cost SQLAlchemy more than running it; this one is built at import, compiled
    once and run on the driver (app/prepared.py). Items are named tuples of the selected
    columns, not ORM objects (nor SQLAlchemy's Row, whose attribute access cost ~2 us a row
    in a dump).
    """

    def __init__(self, name: str, query: Select, id_column: InstrumentedAttribute) -> None:
        self.select = PreparedSelect(query.where(id_column < bindparam("keyset_after"))
                                     .order_by(id_column.desc())
                                     .limit(bindparam("keyset_limit")))
        self.item = namedtuple(name, self.select.names)

    def page(self, *, limit: int, after: int | None, **parameters) -> dict[str, Any]:
        """Items newest first from after `after`, and the next cursor."""
        parameters.update(keyset_after=MAX_ID + 1 if after is None else after,
                          keyset_limit=limit + 1)
        return _page([self.item._make(row) for row in self.select.rows(parameters)], limit)


def _page(rows: list, limit: int) -> dict[str, Any]:
    items, more = rows[:limit], len(rows) > limit
    return {"items": items, "next_cursor": encode_cursor(items[-1].id) if more else None}
