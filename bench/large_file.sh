#!/usr/bin/env bash
# Peak memory of the agent backing up and restoring one 2 GiB file.
# The file is random in its first and last 64 MiB and sparse between, so it
# is quick to make yet every byte still passes through chunking and AES-GCM.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8125}
work=$(mktemp -d)
export STRONGROOM_VAR_DIR=$work/var DEBUG=true
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

mkdir -p "$work/tree"
head -c $((64 * 1024 * 1024)) /dev/urandom > "$work/tree/big.bin"
truncate -s $((2048 * 1024 * 1024 - 64 * 1024 * 1024)) "$work/tree/big.bin"
head -c $((64 * 1024 * 1024)) /dev/urandom >> "$work/tree/big.bin"
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
echo "== one file of $(du -h --apparent-size "$work/tree/big.bin" | cut -f1)"
timed "backup:  %e s, %M KiB peak" backup "$work/tree" > /dev/null
timed "restore: %e s, %M KiB peak" restore "$work/tree" --to "$work/restored" \
  --passphrase-file "$work/passphrase" > /dev/null
cmp "$work/tree/big.bin" "$work/restored/big.bin" && echo "restore identical"
