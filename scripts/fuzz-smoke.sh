#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang into build/fuzz, replays each target's
# whole committed corpus (tests/fuzz/corpus/<target>/, every input once, never truncated), then
# runs each one briefly on a scratch copy of it (the committed corpus is never modified).
# Exits non-zero when clang is missing, the build fails, or any input crashes / finds a bug.
# `make test` runs it (ctest test fuzz_smoke); scripts/fuzz-campaign.sh runs the long campaigns.
#
# Tunables (environment): FUZZ_RUNS (default 20000), FUZZ_MAX_TIME seconds of fuzzing per target
# (default 15), FUZZ_BUILD_DIR (default build/fuzz), FUZZ_TARGETS (default: all).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

RUNS=${FUZZ_RUNS:-20000}
MAX_TIME=${FUZZ_MAX_TIME:-15}
BUILD_DIR=${FUZZ_BUILD_DIR:-$ROOT/build/fuzz}
SRC_DIR=$ROOT/tests/fuzz

fail() {
  echo "fuzz smoke: FAILED: $*" >&2
  echo "fuzz smoke: 0 passed, 1 failed"
  exit 1
}

# shellcheck source=scripts/fuzz-common.sh
. "$ROOT/scripts/fuzz-common.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-smoke.XXXXXX") || fail "cannot create a temporary directory"
trap 'rm -rf "$WORK"' EXIT

fuzz_build "fuzz smoke"
fuzz_targets

# Keeps the crashing inputs where they survive this run, for reproduction:
#   $BUILD_DIR/<target> <crash file>
keep_crashes() {
  local t=$1 artifacts=$2 log=$3 keep=$BUILD_DIR/crashes/$1
  mkdir -p "$keep"
  cp "$artifacts"/* "$keep/" 2>/dev/null && echo "  [$t] crashing input(s) saved in $keep/"
  cp "$log" "$keep/last-run.log"
}

started=$SECONDS
passed=0
failed=0
failed_names=()
for t in "${targets[@]}"; do
  bin=$BUILD_DIR/$t
  seeds=$SRC_DIR/corpus/$t
  if [ ! -x "$bin" ]; then
    echo "fuzz smoke: $t: FAILED (no executable $bin)"
    failed=$((failed + 1)); failed_names+=("$t"); continue
  fi
  corpus=$WORK/$t/corpus
  artifacts=$WORK/$t/artifacts
  mkdir -p "$corpus" "$artifacts"
  start=$SECONDS

  # 1. Replay: every committed input once (-runs=0), at its full length (no -max_len).
  replayed=0
  if [ -d "$seeds" ]; then
    replayed=$(find "$seeds" -maxdepth 1 -type f | wc -l)
    cp -R "$seeds/." "$corpus/"
  else
    echo "fuzz smoke: $t: warning: no corpus at $seeds"
  fi
  log=$WORK/$t/replay.txt
  fuzz_env "$bin" -runs=0 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
  rc=$?
  if [ $rc -ne 0 ] || ! grep -q 'INITED' "$log"; then
    echo "fuzz smoke: $t: FAILED replaying its corpus (exit $rc)"
    tail -n 40 "$log" | sed "s/^/  [$t] /"
    keep_crashes "$t" "$artifacts" "$log"
    failed=$((failed + 1)); failed_names+=("$t"); continue
  fi
  replay_cov=$(fuzz_coverage "$log")

  # 2. Fuzz briefly from it. -timeout: one input taking this long is a hang; -rss_limit_mb: a
  # memory blow-up is a bug.
  log=$WORK/$t/fuzz.txt
  fuzz_env "$bin" -runs="$RUNS" -max_total_time="$MAX_TIME" -max_len="$(fuzz_max_len "$t")" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
  rc=$?
  elapsed=$((SECONDS - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "fuzz smoke: $t: ok (replayed $replayed inputs, ${replay_cov:-no coverage line}; ${execs:-?} runs, ${elapsed}s)"
    passed=$((passed + 1))
  else
    echo "fuzz smoke: $t: FAILED (exit $rc after ${execs:-?} runs, ${elapsed}s)"
    tail -n 40 "$log" | sed "s/^/  [$t] /"
    keep_crashes "$t" "$artifacts" "$log"
    failed=$((failed + 1)); failed_names+=("$t")
  fi
done

if [ $failed -gt 0 ]; then
  echo "fuzz smoke: failing targets: ${failed_names[*]}" >&2
fi
echo "fuzz smoke: $((SECONDS - started))s for ${#targets[@]} targets after the build"
echo "fuzz smoke: $passed passed, $failed failed"
[ $failed -eq 0 ]
