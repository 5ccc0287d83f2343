#!/usr/bin/env bash
# Requests per second of the vault list at 20,000 vaults, first and last page.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8123}
export DEBUG=false SECRET_KEY=bench-secret-key-that-is-long-enough-1234567890
export ALLOWED_HOSTS=127.0.0.1 STRONGROOM_VAR_DIR=$(mktemp -d)
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/strongroom_bench}
psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS strongroom_bench" \
  -c "CREATE DATABASE strongroom_bench" >/dev/null
$PY manage.py migrate -v0
$PY manage.py createcachetable
$PY manage.py collectstatic --noinput -v0
cookie=$($PY bench/make_session.py 20000)
.venv/bin/gunicorn portal.wsgi --bind 127.0.0.1:$PORT --workers 2 --log-level warning &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$STRONGROOM_VAR_DIR"' EXIT
sleep 3
for page in 1 400; do
  echo "== /vaults/?page=$page"
  wrk -t2 -c8 -d10s -H "Cookie: sessionid=$cookie" \
    -H "X-Forwarded-Proto: https" "http://127.0.0.1:$PORT/vaults/?page=$page"
done
