"""A user's row read without the ORM's per-row machinery, for the token check.

Every authenticated request needs its user. Loading one through an ORM query, or building
one with `User(**columns)`, runs attribute events and loader bookkeeping per column that
cost as much as the rest of the request; `attach` makes the same persistent object from
plain column values directly. Used by both revocation stores (app/tokens/revocation.py for
the database, app/tokens/user_cache.py for Redis).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from app.extensions import db
from app.users.models import User

# Every column but the password hash, which no authenticated request reads (a password
# change loads it when it needs it). Derived from the mapper: a column added to users is
# read by the token check without anyone having to remember this list.
NOT_READ = frozenset({"password_hash"})
READ_ATTRIBUTES = tuple(attribute.key for attribute in User.__mapper__.column_attrs
                        if attribute.key not in NOT_READ)
# The table's columns labelled with the attribute names, for a Core select.
READ_COLUMNS = tuple(User.__mapper__.column_attrs[key].columns[0].label(key)
                     for key in READ_ATTRIBUTES)


def attach(values: Mapping) -> User:
    """A persistent, clean User in this request's session from `READ_ATTRIBUTES` values.

    The values must already be Python values (Role, aware datetimes). Attributes left out
    (the password hash, the profile image relationship) load from the database if read.
    """
    known = db.session.identity_map.get(identity_key(User, values["id"]))
    if known is not None:  # this session already holds the row (it wrote it, say)
        return known
    user = User.__mapper__.class_manager.new_instance()
    # Straight into the instance's state, as the ORM's own loader does: values set through
    # the attributes would be recorded as changes and written back on the next flush.
    user.__dict__.update((key, values[key]) for key in READ_ATTRIBUTES)
    make_transient_to_detached(user)
    db.session.add(user)
    return user
