"""The baseline bench/auth_me.py measures Signet against: bare Flask under the same gunicorn.

GET /healthz and GET /json answer a small jsonify body; POST /login does exactly one
bcrypt check at BCRYPT_LOG_ROUNDS through Flask-Bcrypt configured as Signet's (the bcrypt
bound a login cannot beat). With BENCH_DATABASE_URL (a mysql+pymysql:// URL), GET /files
is the floor of Signet's GET /files: the same two statements (the token check's user row
with its revocation EXISTS, then 21 files newest first) through plain PyMySQL, one
connection per worker, and the same JSON. bench/auth_me.py passes the statements' SQL
exactly as Signet's engine compiles them (BENCH_LOOKUP_SQL, BENCH_FILES_SQL), so the floor
runs what Signet sends; GET /files-lean runs the leaner pair this floor used before (a
five-column user row, no revocation check), printed for comparison. Not part of the service.
"""

from __future__ import annotations

import os
import threading

import pymysql
from flask import Flask, jsonify, request
from flask_bcrypt import Bcrypt
from sqlalchemy.engine import make_url

app = Flask(__name__)
app.config.update(BCRYPT_LOG_ROUNDS=int(os.environ.get("BCRYPT_LOG_ROUNDS", "12")),
                  BCRYPT_HANDLE_LONG_PASSWORDS=True)
bcrypt = Bcrypt(app)
HASH = bcrypt.generate_password_hash("bench password")


@app.get("/healthz")
def healthz():
    """Liveness, as LiveServer expects."""
    return jsonify(status="ok")


@app.get("/json")
def json_body():
    """A small JSON body, as bare as Flask gets."""
    return jsonify(id=1, name="Bench User", email="bench@example.com", role="user")


@app.post("/login")
def login():
    """One bcrypt check of the posted password, nothing else."""
    data = request.get_json(silent=True) or {}
    return jsonify(ok=bcrypt.check_password_hash(HASH, str(data.get("password", ""))))


LEAN_USER_ROW = "SELECT id, name, email, role, isActive FROM users WHERE id = %(user_id)s"
LEAN_FILES_PAGE = ("SELECT id, originalName, modifiedName, type, size, createdAt FROM files "
                   "WHERE ownerId = %(owner_id)s AND id < %(keyset_after)s ORDER BY id DESC "
                   "LIMIT %(keyset_limit)s")
LOOKUP_SQL = os.environ.get("BENCH_LOOKUP_SQL", LEAN_USER_ROW)
FILES_SQL = os.environ.get("BENCH_FILES_SQL", LEAN_FILES_PAGE)
# The parameters Signet binds for the bench user (id 1) and a signed-in token (password_1
# is the statement's own constant: "has a password" is `password != ''`).
LOOKUP_PARAMETERS = {"user_id": 1, "jti": "6f1c1e9e-3b4e-4a8e-9d55-3c1f0e2a7b10",
                     "other_key": "sid:1", "password_1": ""}
PAGE_PARAMETERS = {"owner_id": 1, "keyset_after": 2**31, "keyset_limit": 21}
worker = threading.local()


def connection() -> pymysql.connections.Connection:
    """This worker's PyMySQL connection to BENCH_DATABASE_URL, opened on first use."""
    if getattr(worker, "connection", None) is None:
        url = make_url(os.environ["BENCH_DATABASE_URL"])
        worker.connection = pymysql.connect(host=url.host, port=url.port or 3306,
                                            user=url.username, password=url.password or "",
                                            database=url.database, autocommit=True)
    return worker.connection


@app.get("/files")
def files():
    """Signet's first page of files with none of Signet: its two statements, one dump."""
    return files_page(LOOKUP_SQL, FILES_SQL)


@app.get("/files-lean")
def files_lean():
    """The same page after a five-column user row with no revocation check."""
    return files_page(LEAN_USER_ROW, LEAN_FILES_PAGE)


def files_page(lookup_sql: str, files_sql: str):
    """Run the user statement, then the page statement; answer the page as Signet does."""
    with connection().cursor() as cursor:
        cursor.execute(lookup_sql, LOOKUP_PARAMETERS)
        cursor.fetchall()
        cursor.execute(files_sql, PAGE_PARAMETERS)
        rows = cursor.fetchall()
    items = [{"id": id_, "originalName": original, "modifiedName": modified, "type": type_,
              "size": size, "url": f"/api/v1/files/{id_}/content",
              "createdAt": created.isoformat()}
             for id_, original, modified, type_, size, created in rows[:20]]
    return jsonify(items=items, nextCursor="eyJ2IjoxLCJpZCI6MTF9" if len(rows) > 20 else None)
