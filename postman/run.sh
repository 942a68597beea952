#!/usr/bin/env bash
# Run the Postman collection with newman against gunicorn on a throw-away MariaDB database.
#
#   bash postman/run.sh            (after `npm ci` and `make venv`)
#
# Creates a database named signet_newman_<random> on MYSQL_TEST_URL (root@127.0.0.1:3306
# by default), migrates it, creates the admin the collection signs in as, serves the app
# with gunicorn in production mode on a free port, runs newman, then stops gunicorn and
# drops the database whatever happened. Exits with newman's status.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
NEWMAN="$ROOT/node_modules/.bin/newman"
MYSQL_SERVER_URL="${MYSQL_TEST_URL:-mysql+pymysql://root@127.0.0.1:3306}"
DB_NAME="signet_newman_$("$PY" -c 'import secrets; print(secrets.token_hex(6))')"
ADMIN_EMAIL="admin@example.com"
ADMIN_PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))')"

[ -x "$NEWMAN" ] || { echo "newman is missing: run 'npm ci' first." >&2; exit 2; }
[ -x "$PY" ] || { echo ".venv is missing: run 'make venv' first." >&2; exit 2; }

database() {  # database create|drop: no mysql client needed, only the app's own driver
  "$PY" - "$1" "$MYSQL_SERVER_URL" "$DB_NAME" <<'PY'
import sys
import sqlalchemy as sa
action, url, name = sys.argv[1:]
engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    if action == "create":
        conn.execute(sa.text(
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    else:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
PY
}

UPLOADS="$(mktemp -d)"
GUNICORN_PID=""
cleanup() {
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill "$GUNICORN_PID"
    wait "$GUNICORN_PID" 2>/dev/null || true
  fi
  database drop || echo "could not drop database $DB_NAME" >&2
  rm -rf "$UPLOADS"
}
trap cleanup EXIT

database create
export APP_ENV=production
export DATABASE_URL="$MYSQL_SERVER_URL/$DB_NAME?charset=utf8mb4"
export UPLOAD_FOLDER="$UPLOADS"
export SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')"
export JWT_SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')"
# Production refuses to keep the private signing keys (app/keys) unencrypted.
export SIGNING_KEY_ENCRYPTION_KEY="$("$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
export JWT_COOKIE_SECURE=false  # plain http on 127.0.0.1
export BCRYPT_LOG_ROUNDS="${BCRYPT_LOG_ROUNDS:-10}"
export PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export HOST=127.0.0.1 WEB_CONCURRENCY=2 GUNICORN_ACCESSLOG=""
export FLASK_APP=wsgi.py
BASE_URL="http://127.0.0.1:$PORT"
export PUBLIC_BASE_URL="$BASE_URL"  # production requires it; passkeys are bound to it
# Default rate limits: the collection signs in 8 times and reuses its tokens, within
# LOGIN_RATE_LIMIT's 10 a minute (its pre-request script waits rather than exceed it).
# Counters of this run only: the default store (instance/ratelimits.sqlite) outlives the
# throw-away database, and per-account limits key on user ids that the next run reuses.
export RATELIMIT_STORAGE_URI="signet-sqlite://$UPLOADS/ratelimits.sqlite"
# Production requires SMTP_HOST with the smtp backend: the run writes mail to files instead.
export MAIL_BACKEND=file MAIL_FILE_DIR="$UPLOADS/mail"

"$ROOT/.venv/bin/flask" db upgrade
"$ROOT/.venv/bin/flask" users create-admin --name "Postman Admin" --email "$ADMIN_EMAIL" \
  --password "$ADMIN_PASSWORD"

"$ROOT/.venv/bin/gunicorn" -c gunicorn.conf.py wsgi:app &
GUNICORN_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "$BASE_URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$GUNICORN_PID" 2>/dev/null || { echo "gunicorn exited" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "$BASE_URL/healthz" >/dev/null

"$NEWMAN" run postman/signet.postman_collection.json \
  --environment postman/signet.postman_environment.json \
  --env-var "baseUrl=$BASE_URL" \
  --env-var "adminEmail=$ADMIN_EMAIL" \
  --env-var "adminPassword=$ADMIN_PASSWORD" \
  --working-dir postman/fixtures \
  --color off --disable-unicode
