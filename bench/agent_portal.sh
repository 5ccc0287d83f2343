# Sourced by the agent benchmarks: a portal on demo data in a temporary
# folder, and a registered agent protecting "$work/tree".
# The caller sets PORT and fills "$work/tree" first, then calls start_portal.
PY=.venv/bin/python
work=$(mktemp -d)
export STRONGROOM_VAR_DIR=$work/var DEBUG=true
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/tree"
printf 'a passphrase for the benchmark\n' > "$work/passphrase"

AGENT=(.venv/bin/strongroom-agent)
agent() { "${AGENT[@]}" "$@" --state-dir "$work/agent"; }
timed() { /usr/bin/time -f "$1" "${AGENT[@]}" "${@:2}" --state-dir "$work/agent"; }

start_portal() {
  $PY manage.py migrate -v0
  $PY manage.py createcachetable
  $PY manage.py seed_demo > /dev/null 2>&1
  $PY bench/make_credentials.py "http://127.0.0.1:$PORT" \
    > "$work/credentials.json" 2>/dev/null
  $PY manage.py runserver 127.0.0.1:"$PORT" --noreload > "$work/server.log" 2>&1 &
  server=$!
  sleep 3
  agent register --vault-credentials "$work/credentials.json" --name bench \
    --passphrase-file "$work/passphrase" > /dev/null
  agent protect "$work/tree" --policy DefaultPolicy > /dev/null
}
