#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang into build/fuzz and runs each one
# briefly on a scratch copy of its seed corpus (the committed corpus is never modified).
# Exits non-zero when clang is missing, the build fails, or any target crashes / finds a bug.
#
# Tunables (environment): FUZZ_RUNS (default 20000), FUZZ_MAX_TIME seconds per target
# (default 20), FUZZ_BUILD_DIR (default build/fuzz), FUZZ_TARGETS (default: all).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

RUNS=${FUZZ_RUNS:-20000}
MAX_TIME=${FUZZ_MAX_TIME:-20}
BUILD_DIR=${FUZZ_BUILD_DIR:-$ROOT/build/fuzz}
SRC_DIR=$ROOT/tests/fuzz

fail() {
  echo "fuzz smoke: FAILED: $*" >&2
  echo "fuzz smoke: 0 passed, 1 failed"
  exit 1
}

# clang is a hard requirement: passing without fuzzing anything would hide that nothing ran.
for tool in clang clang++ cmake ninja; do
  command -v "$tool" >/dev/null 2>&1 ||
    fail "'$tool' not found. The fuzz targets need clang with libFuzzer (Debian 12: apt-get install clang libclang-rt-14-dev ninja-build cmake, or run 'make setup')."
done

export CC=clang CXX=clang++

# A build dir configured with another compiler cannot be reused; start it over.
if [ -f "$BUILD_DIR/CMakeCache.txt" ] &&
   ! grep -q '^CMAKE_CXX_COMPILER_ID:INTERNAL=Clang$\|^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' "$BUILD_DIR/CMakeCache.txt"; then
  echo "fuzz smoke: $BUILD_DIR was configured with another compiler, reconfiguring from scratch"
  rm -rf "$BUILD_DIR"
fi

cmake_args=(-S "$SRC_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if command -v ccache >/dev/null 2>&1; then
  cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-smoke.XXXXXX") || fail "cannot create a temporary directory"
trap 'rm -rf "$WORK"' EXIT

echo "fuzz smoke: configuring $SRC_DIR -> $BUILD_DIR"
cmake "${cmake_args[@]}" >"$WORK/configure.log" 2>&1 || {
  cat "$WORK/configure.log" >&2
  fail "cmake configure of tests/fuzz failed (log above)"
}
echo "fuzz smoke: building"
cmake --build "$BUILD_DIR" || fail "build of the fuzz targets failed"

if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  mapfile -t targets <"$BUILD_DIR/fuzzers.txt"
fi
[ ${#targets[@]} -gt 0 ] || fail "no fuzz targets listed in $BUILD_DIR/fuzzers.txt"

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
  if [ -d "$seeds" ]; then
    cp -R "$seeds/." "$corpus/"
  else
    echo "fuzz smoke: $t: warning: no seed corpus at $seeds"
  fi
  log=$WORK/$t/log.txt
  start=$SECONDS
  # -timeout: one input taking this long is a hang; -rss_limit_mb: a memory blow-up is a bug.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -runs="$RUNS" -max_total_time="$MAX_TIME" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
  rc=$?
  elapsed=$((SECONDS - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "fuzz smoke: $t: ok (${execs:-?} runs, ${elapsed}s)"
    passed=$((passed + 1))
  else
    echo "fuzz smoke: $t: FAILED (exit $rc after ${execs:-?} runs, ${elapsed}s)"
    tail -n 40 "$log" | sed "s/^/  [$t] /"
    # Keep the crashing inputs where they survive this run, for reproduction:
    #   $BUILD_DIR/<target> <crash file>
    keep=$BUILD_DIR/crashes/$t
    mkdir -p "$keep"
    cp "$artifacts"/* "$keep/" 2>/dev/null && echo "  [$t] crashing input(s) saved in $keep/"
    cp "$log" "$keep/last-run.log"
    failed=$((failed + 1)); failed_names+=("$t")
  fi
done

if [ $failed -gt 0 ]; then
  echo "fuzz smoke: failing targets: ${failed_names[*]}" >&2
fi
echo "fuzz smoke: $passed passed, $failed failed"
[ $failed -eq 0 ]
