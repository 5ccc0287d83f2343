#!/usr/bin/env bash
# Back up and restore one generated tree with strongroom-agent, then restic.
# Both encrypt and deduplicate; the agent also uploads over HTTP to a portal.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8124}
SIZE_MB=${SIZE_MB:-512}
work=$(mktemp -d)
export STRONGROOM_VAR_DIR=$work/var DEBUG=true
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== generating $SIZE_MB MiB in 64 files of random data plus 2000 small files"
mkdir -p "$work/tree/small"
for i in $(seq 1 64); do
  head -c $((SIZE_MB * 1024 * 1024 / 64)) /dev/urandom > "$work/tree/big-$i.bin"
done
for i in $(seq 1 2000); do echo "file $i" > "$work/tree/small/$i.txt"; done
printf 'a passphrase for the benchmark\n' > "$work/passphrase"

$PY manage.py migrate -v0
$PY manage.py createcachetable
$PY manage.py seed_demo > /dev/null 2>&1
$PY bench/make_credentials.py "http://127.0.0.1:$PORT" > "$work/credentials.json" 2>/dev/null
$PY manage.py runserver 127.0.0.1:$PORT --noreload > "$work/server.log" 2>&1 &
server=$!
sleep 3

AGENT=(.venv/bin/strongroom-agent)
agent() { "${AGENT[@]}" "$@" --state-dir "$work/agent"; }
timed() { /usr/bin/time -f "$1" "${AGENT[@]}" "${@:2}" --state-dir "$work/agent"; }
agent register --vault-credentials "$work/credentials.json" --name bench \
  --passphrase-file "$work/passphrase" > /dev/null
agent protect "$work/tree" --policy DefaultPolicy > /dev/null
echo "== strongroom-agent"
timed "first backup:  %e s, %M KiB peak" backup "$work/tree" > /dev/null
timed "second backup: %e s, %M KiB peak (nothing new)" backup "$work/tree" > /dev/null
timed "restore:       %e s, %M KiB peak" restore "$work/tree" \
  --to "$work/restored-agent" --passphrase-file "$work/passphrase" > /dev/null
diff -r "$work/tree" "$work/restored-agent" && echo "restore identical"

echo "== restic $(restic version | cut -d' ' -f2)"
export RESTIC_REPOSITORY=$work/restic RESTIC_PASSWORD_FILE=$work/passphrase
restic init -q
/usr/bin/time -f "first backup:  %e s, %M KiB peak" restic backup -q "$work/tree"
/usr/bin/time -f "second backup: %e s, %M KiB peak (nothing new)" restic backup -q "$work/tree"
/usr/bin/time -f "restore:       %e s, %M KiB peak" restic restore -q latest --target "$work/restored-restic"
