#!/usr/bin/env bash
# Runs every test through ctest (unit, fuzz smoke, protocol). Called by `make test` after the
# test build; ends with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ctest --preset test -j2 "$@"
