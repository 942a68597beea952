"""Every SQLAlchemy Session event listener of Signet, registered here and nowhere else.

Each domain keeps what a commit or a rollback means to it (a function beside its data);
this module says which Session events call those functions, so everything that runs
around a commit reads on one screen. The listeners are global (the Session class): one
registration serves every app of the process, so registering again is a no-op.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.audit.service import forget_rolled_back_lines, write_committed_lines
from app.mail.compose import forget_after_rollback, wake_after_commit
from app.tokens.revocation import current_user_cache
from app.tokens.user_cache import invalidation_listeners
from app.transactions import count_commit_done

LISTENERS = [
    # A retried use case runs again only while none of its commits has succeeded.
    ("after_commit", count_commit_done),
    # A changed user's cache entry is marked busy before the commit, renewed after it.
    *invalidation_listeners(current_user_cache),
    # Audit lines reach the log only once their rows are committed.
    ("after_commit", write_committed_lines),
    ("after_transaction_end", forget_rolled_back_lines),
    # Committed mail wakes this process's delivery thread at once.
    ("after_commit", wake_after_commit),
    ("after_rollback", forget_after_rollback),
]


def register_session_listeners() -> None:
    """Register LISTENERS on the Session class, once per process."""
    for name, listener in LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
