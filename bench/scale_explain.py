"""For bench/scale_data.py: the plan and rows read of each case's SQL, and the purge.

The statements are captured in-process (SQLAlchemy's before_cursor_execute) while a test
client sends each case's request, then replayed on a separate connection: EXPLAIN for the
plan, and the session's Handler_read_* counters (rows the storage engine handed over:
index entries and table rows alike) before and after for the rows actually read.
"""

from __future__ import annotations

import json
import statistics
import threading
import time

import sqlalchemy as sa
from sqlalchemy import event

from app.users.search import SEARCH_WINDOW
from bench.scale_seed import ADMIN_ID, BCRYPT_ROUNDS, BIG_OWNER_ID, PASSWORD, email

PAGE = 21  # one page: the default limit of 20, plus the row that tells another follows
PURGE_TARGET = 1.0  # seconds


def _app(url: str, **overrides):
    from app import create_app
    return create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                       "BCRYPT_LOG_ROUNDS": BCRYPT_ROUNDS, "RATELIMIT_ENABLED": False,
                       "MAIL_DELIVERY_THREAD": False, **overrides})


def _reads(cursor) -> int:
    cursor.execute("SHOW SESSION STATUS LIKE 'Handler_read%'")
    return sum(int(value) for _, value in cursor.fetchall())


def _plan(cursor, statement: str, parameters) -> str:
    """EXPLAIN's plan (for writes), one `table: access key rows` per table."""
    cursor.execute("EXPLAIN " + statement, parameters)
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return "; ".join(f"{r['table']}: {r['type']} key={r['key']} rows~{r['rows']}"
                     f"{' (' + r['Extra'] + ')' if r['Extra'] else ''}" for r in rows)


def _analyze(cursor, statement: str, parameters) -> tuple[int, str]:
    """Run the statement under ANALYZE FORMAT=JSON: rows examined (r_rows x r_loops of the
    base tables) and its plan. The key named may be the one chosen before MariaDB revisits
    an ORDER BY ... LIMIT at execution (GET /files: the primary key, yet 21 rows read, as
    by ix_files_ownerId): the rows read, and the handler counters, are what counts."""
    cursor.execute("ANALYZE FORMAT=JSON " + statement, parameters)
    total, steps = 0.0, []

    def walk(node) -> None:
        nonlocal total
        if isinstance(node, dict):
            table = node.get("table")
            # Base tables only: a derived table is the few ids a subquery already counted.
            if isinstance(table, dict) and not table.get("table_name", "<").startswith("<"):
                read = (table.get("r_loops") or 1) * (table.get("r_rows") or 0)
                total += read
                steps.append(f"{table['table_name']}: {table.get('access_type')} "
                             f"key={table.get('key')} read {read:,.0f}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(cursor.fetchone()[0]))
    return round(total), "; ".join(steps) or "no table read (constant)"


def explain_cases(url: str, cases: list) -> bool:
    """Print plan and rows read vs returned of every SELECT the cases run; True if none
    reads more than returned + one page."""
    from app.extensions import db

    app = _app(url)
    client = app.test_client()
    tokens = {}
    for user in (ADMIN_ID, BIG_OWNER_ID):
        answer = client.post("/api/v1/auth/login",
                             json={"email": email(user), "password": PASSWORD})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        tokens[user] = answer.get_json()["access_token"]
    captured: list[tuple[str, object]] = []
    ok = True
    print("\nSQL of each case on the big database: rows examined (ANALYZE: r_rows x r_loops "
          f"of base tables) vs returned; FLAG beyond returned + {PAGE} (q=: + the search "
          f"window, {SEARCH_WINDOW:,} rows, app/users/search.py; /auth/me/audit: + a page "
          "of its second column's index)")
    with app.app_context():
        engine = db.engine

        def listener(_conn, _cursor, statement, parameters, *_) -> None:
            captured.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", listener)
        try:
            for name, method, path, body in cases:
                user = BIG_OWNER_ID if path.startswith("/api/v1/files") else ADMIN_ID
                headers = {} if body else {"Authorization": f"Bearer {tokens[user]}"}
                captured.clear()
                answer = client.open(path, method=method, json=body, headers=headers)
                assert answer.status_code == 200, answer.get_data(as_text=True)
                statements = list(captured)
                print(f"\n{name}")
                ok &= _replay(engine, statements, _allowance(path))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        engine.dispose()
    return ok


def _allowance(path: str) -> int:
    """Rows a case may read beyond returned + one page, by design (docs/scaling.md)."""
    if "?q=" in path:
        return SEARCH_WINDOW  # step 1 of app/users/search.py
    if path.endswith("/me/audit"):
        return PAGE  # one page of each of two indexes, actorId's and subjectId's
    return 0


def _replay(engine, statements, allowance: int) -> bool:
    ok = True
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            verb = statement.lstrip().split(None, 1)[0].upper()
            short = " ".join(statement.split())[:110]
            if verb != "SELECT":
                plan = _plan(cursor, statement, parameters) if verb in ("UPDATE", "DELETE") \
                    else "-"
                print(f"  write  {short}\n         plan: {plan}")
                continue
            overhead = -_reads(cursor) + _reads(cursor)
            before = _reads(cursor)
            cursor.execute(statement, parameters)
            returned = len(cursor.fetchall())
            reads = _reads(cursor) - before - overhead
            examined, plan = _analyze(cursor, statement, parameters)
            # A const lookup (one row by a unique key) is read while planning: no r_rows.
            examined = examined or reads
            flagged = examined > returned + PAGE + allowance
            ok &= not flagged
            verdict = "FLAG" if flagged else "ok*" if examined > returned + PAGE else "ok"
            print(f"  {verdict:<5}  examined {examined:>8,} returned "
                  f"{returned:>3} (handler reads {reads:,})  {short}\n"
                  f"         plan: {plan}")
        raw.rollback()
    finally:
        raw.close()
    return ok


def purge(url: str, batch_size: int | None) -> bool:
    """Run the audit purge's service on the big database; True if every batch < 1 s."""
    from app.audit.service import purge_expired_events
    from app.extensions import db
    from app.settings import settings

    sizes = {} if batch_size is None else {"AUDIT_PURGE_BATCH_SIZE": batch_size}
    app = _app(url, AUDIT_RETENTION_DAYS=365, **sizes)
    batches: list[float] = []
    explained: set[str] = set()
    side = sa.create_engine(url, isolation_level="AUTOCOMMIT")

    def explain_first(_conn, _cursor, statement, parameters, *_):
        # Explained as the first batch runs: afterwards the rows are gone.
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("SELECT", "DELETE") and verb not in explained:
            explained.add(verb)
            raw = side.raw_connection()
            try:
                print(f"  {' '.join(statement.split())[:120]}\n"
                      f"    plan: {_plan(raw.cursor(), statement, parameters)}")
            finally:
                raw.close()

    with app.app_context():
        batch_size = settings().audit.purge_batch_size
    print(f"\naudit purge, batches of {batch_size:,} (each its own transaction); a writer "
          "adds an event every 20 ms meanwhile")
    writer = _Writer(side)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", explain_first)
        writer.start()
        started = time.perf_counter()
        try:
            purged = purge_expired_events(on_batch=lambda _n, seconds: batches.append(seconds))
        finally:
            total = time.perf_counter() - started
            writer.stop()
            event.remove(db.engine, "before_cursor_execute", explain_first)
            db.engine.dispose()
    side.dispose()
    longest = max(batches)
    print(f"purged {purged:,} events in {total:.1f}s, {len(batches):,} batches: "
          f"median {statistics.median(batches) * 1000:.0f} ms, longest {longest * 1000:.0f} ms "
          f"(target < {PURGE_TARGET * 1000:.0f} ms) {'PASS' if longest < PURGE_TARGET else 'FAIL'}")
    print(f"the writer's longest insert meanwhile: {writer.longest * 1000:.0f} ms "
          f"({writer.count} inserts)")
    return longest < PURGE_TARGET


class _Writer(threading.Thread):
    """Adds an audit event every 20 ms, as the service would, and keeps the longest wait."""

    def __init__(self, engine) -> None:
        super().__init__(daemon=True)
        self.engine, self.longest, self.count = engine, 0.0, 0
        self.done = threading.Event()

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.done.wait(0.02):
                started = time.perf_counter()
                conn.execute(sa.text(
                    "INSERT INTO audit_events (action, actorId, subjectId, details, createdAt) "
                    "VALUES ('auth.login', 1, 1, '{}', UTC_TIMESTAMP())"))
                self.longest = max(self.longest, time.perf_counter() - started)
                self.count += 1

    def stop(self) -> None:
        self.done.set()
        self.join()
