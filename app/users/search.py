"""GET /users?q=: users whose name or email starts with `q`, newest first, in bounded time.

A prefix is a range of the name (or email) index, but the page is ordered by id, so no one
index answers both. Left to itself MariaDB either sorted every match (`name LIKE OR email
LIKE` merged both indexes: 1.7 s for a common first name in a million users) or walked
the primary key newest first hoping to meet matches soon (1.2 s for a prefix only old
accounts have). So the search runs in two steps whose costs are bounded apart:

1. the newest SEARCH_WINDOW ids before the cursor, read by primary key: a page for any
   prefix that one user in fifty has (a first name, a domain) - at most 1,000 rows;
2. only when that window held less than a page: each column's index range below the
   window, ids only (index-only), newest first - as many index entries as there are
   matches, which a prefix this rare keeps small.

docs/scaling.md ("The `q=` search at a million users") has the figures.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, union

from app.extensions import db
from app.pagination import encode_cursor
from app.users.models import User

LIKE_ESCAPE = "\\"
# Ids read by primary key before the indexes are asked: every search that finds few users
# (the usual one: an admin typing a name or address) pays for reading them (~1 ms).
SEARCH_WINDOW = 1000


def search_users(q: str, filters: list, *, limit: int, after: int | None) -> dict[str, Any]:
    """One page of the users matching `filters` whose name or email starts with `q`."""
    matches = (User.name.like(prefix_pattern(q), escape=LIKE_ESCAPE),
               User.email.like(prefix_pattern(q.lower()), escape=LIKE_ESCAPE))
    # One number for both steps (a user created in between must not shift the window).
    top = after if after is not None else (db.session.scalar(select(func.max(User.id))) or 0) + 1
    floor = top - SEARCH_WINDOW
    # Step 1: the newest ids, by primary key (MariaDB would otherwise merge the indexes).
    newest = (select(User).with_hint(User, "FORCE INDEX (PRIMARY)", "mysql")
              .where(*filters, User.id < top, User.id >= floor, matches[0] | matches[1])
              .order_by(User.id.desc()).limit(limit + 1))
    rows = list(db.session.scalars(newest))
    if len(rows) <= limit and floor > 1:
        rows += _older(matches, filters, below=floor, limit=limit + 1 - len(rows))
    items = rows[:limit]
    return {"items": items,
            "next_cursor": encode_cursor(items[-1].id) if len(rows) > limit else None}


def _older(matches, filters: list, *, below: int, limit: int) -> list[User]:
    """Step 2: up to `limit` matches below `below`, each column's index range alone."""
    # Without the hint MariaDB may walk the primary key instead, newest first, through
    # every older row: the index range is what bounds this step by the number of matches.
    branches = [select(User.id).with_hint(User, "IGNORE INDEX FOR ORDER BY (PRIMARY)", "mysql")
                .where(*filters, match, User.id < below)
                .order_by(User.id.desc()).limit(limit).subquery() for match in matches]
    ids = union(*(select(branch.c.id) for branch in branches)).subquery()
    return list(db.session.scalars(
        select(User).join(ids, User.id == ids.c.id).order_by(User.id.desc()).limit(limit)))


def prefix_pattern(text: str) -> str:
    """`text` as a LIKE prefix pattern, its wildcards taken literally."""
    escaped = (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
               .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))
    return escaped + "%"
