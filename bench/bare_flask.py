"""The baseline bench/auth_me.py measures Signet against: bare Flask under the same gunicorn.

GET /healthz and GET /json answer a small jsonify body; POST /login does exactly one
bcrypt check at BCRYPT_LOG_ROUNDS through Flask-Bcrypt configured as Signet's (the bcrypt
bound a login cannot beat). With BENCH_DATABASE_URL (a mysql+pymysql:// URL), GET /files
is the floor of Signet's GET /files: the same two statements (a user row by id, then 21
files newest first) through plain PyMySQL, one connection per worker, and the same JSON.
Not part of the service.
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


USER_ROW = "SELECT id, name, email, role, isActive FROM users WHERE id = %s"
FILES_PAGE = ("SELECT id, originalName, modifiedName, type, size, createdAt FROM files "
              "WHERE ownerId = %s AND id < %s ORDER BY id DESC LIMIT %s")
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
    """Signet's first page of files with none of Signet: two plain statements, one dump."""
    with connection().cursor() as cursor:
        cursor.execute(USER_ROW, (1,))
        cursor.fetchall()
        cursor.execute(FILES_PAGE, (1, 2**31 - 1, 21))
        rows = cursor.fetchall()
    items = [{"id": id_, "originalName": original, "modifiedName": modified, "type": type_,
              "size": size, "url": f"/api/v1/files/{id_}/content",
              "createdAt": created.isoformat()}
             for id_, original, modified, type_, size, created in rows[:20]]
    return jsonify(items=items, nextCursor="eyJ2IjoxLCJpZCI6MTF9" if len(rows) > 20 else None)
