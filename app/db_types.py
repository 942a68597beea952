"""Column types and defaults shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

# The largest value of an Integer primary key on MySQL (signed INT). Route converters use
# it so that a larger id is a 404 instead of an overflow in the driver (SQLite: a 500).
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime, to the second.

    MySQL's DATETIME keeps whole seconds: dropping the fraction here makes a freshly
    written row read back exactly as it was returned.
    """
    return datetime.now(UTC).replace(microsecond=0)


class UTCDateTime(TypeDecorator):
    """A DATETIME stored as naive UTC and always returned timezone-aware.

    MySQL's DATETIME has no offset; storing UTC and re-attaching it on the way out keeps
    SQLite and MySQL identical and the API's timestamps unambiguous.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
