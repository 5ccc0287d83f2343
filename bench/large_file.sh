#!/usr/bin/env bash
# Peak memory of the agent backing up and restoring one 2 GiB file.
# The file is random in its first and last 64 MiB and sparse between, so it
# is quick to make yet every byte still passes through chunking and AES-GCM.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8125}
source bench/agent_portal.sh

head -c $((64 * 1024 * 1024)) /dev/urandom > "$work/tree/big.bin"
truncate -s $((2048 * 1024 * 1024 - 64 * 1024 * 1024)) "$work/tree/big.bin"
head -c $((64 * 1024 * 1024)) /dev/urandom >> "$work/tree/big.bin"
start_portal

echo "== one file of $(du -h --apparent-size "$work/tree/big.bin" | cut -f1)"
timed "backup:  %e s, %M KiB peak" backup "$work/tree" > /dev/null
timed "restore: %e s, %M KiB peak" restore "$work/tree" --to "$work/restored" \
  --passphrase-file "$work/passphrase" > /dev/null
cmp "$work/tree/big.bin" "$work/restored/big.bin" && echo "restore identical"
