"""The baseline bench/auth_me.py measures Signet against: bare Flask under the same gunicorn.

GET /healthz and GET /json answer a small jsonify body; POST /login does exactly one
bcrypt check at BCRYPT_LOG_ROUNDS through Flask-Bcrypt configured as Signet's (the bcrypt
bound a login cannot beat). Not part of the service.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, request
from flask_bcrypt import Bcrypt

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
