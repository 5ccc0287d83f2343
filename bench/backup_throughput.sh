#!/usr/bin/env bash
# Back up and restore one generated tree with strongroom-agent, then restic.
# Both encrypt and deduplicate; the agent also uploads over HTTP to a portal.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8124}
SIZE_MB=${SIZE_MB:-512}
source bench/agent_portal.sh

echo "== generating $SIZE_MB MiB in 64 files of random data plus 2000 small files"
mkdir -p "$work/tree/small"
for i in $(seq 1 64); do
  head -c $((SIZE_MB * 1024 * 1024 / 64)) /dev/urandom > "$work/tree/big-$i.bin"
done
for i in $(seq 1 2000); do echo "file $i" > "$work/tree/small/$i.txt"; done
start_portal

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
/usr/bin/time -f "restore:       %e s, %M KiB peak" \
  restic restore -q latest --target "$work/restored-restic"
