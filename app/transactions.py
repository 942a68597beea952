"""The one way a service ends its unit of work: commit, or roll back and undo the rest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from app.extensions import db


@contextmanager
def transaction(*, on_failure: Callable[[], None] | None = None) -> Iterator[None]:
    """Commit the session when the block ends; on any error roll back, then `on_failure`.

    `on_failure` undoes what the database cannot roll back (bytes already written to
    storage); it must not raise. The original exception always propagates.
    """
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if on_failure is not None:
            on_failure()
        raise
