# shellcheck shell=bash
# Shared by scripts/fuzz-smoke.sh and scripts/fuzz-campaign.sh (sourced, not run): building the
# libFuzzer targets of tests/fuzz with clang, and what each target is fuzzed with.
#
# Expects ROOT (the checkout), BUILD_DIR, SRC_DIR (tests/fuzz), WORK (a scratch directory) and a
# function `fail MESSAGE` that reports and exits.

# The longest input each target is fuzzed with (-max_len): long enough for what it parses (frames
# with 64-bit lengths, a multipart upload of a small image, an HTTP header past its 16 KiB limit),
# short enough to keep the corpus small and the runs fast. Replays never truncate.
fuzz_max_len() {
  case "$1" in
    core_fuzzer) echo 1024 ;;
    engineio_fuzzer | socketio_fuzzer | cluster_envelope_fuzzer) echo 2048 ;;
    ws_frame_fuzzer) echo 4096 ;;
    multipart_fuzzer) echo 8192 ;;
    http_request_fuzzer) echo 20000 ;;
    *) echo 4096 ;;
  esac
}

# Configures and builds every target into BUILD_DIR (clang, Ninja, ccache when present).
fuzz_build() {
  local prefix=$1 tool
  # clang is a hard requirement: passing without fuzzing anything would hide that nothing ran.
  for tool in clang clang++ cmake ninja; do
    command -v "$tool" >/dev/null 2>&1 ||
      fail "'$tool' not found. The fuzz targets need clang with libFuzzer (Debian 12: apt-get install clang libclang-rt-14-dev ninja-build cmake, or run 'make setup')."
  done
  export CC=clang CXX=clang++

  # A build dir configured with another compiler cannot be reused; start it over.
  if [ -f "$BUILD_DIR/CMakeCache.txt" ] &&
     ! grep -q '^CMAKE_CXX_COMPILER_ID:INTERNAL=Clang$\|^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' "$BUILD_DIR/CMakeCache.txt"; then
    echo "$prefix: $BUILD_DIR was configured with another compiler, reconfiguring from scratch"
    rm -rf "$BUILD_DIR"
  fi

  local cmake_args=(-S "$SRC_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  if command -v ccache >/dev/null 2>&1; then
    cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  echo "$prefix: configuring $SRC_DIR -> $BUILD_DIR"
  cmake "${cmake_args[@]}" >"$WORK/configure.log" 2>&1 || {
    cat "$WORK/configure.log" >&2
    fail "cmake configure of tests/fuzz failed (log above)"
  }
  echo "$prefix: building"
  cmake --build "$BUILD_DIR" || fail "build of the fuzz targets failed"
}

# The targets to run: FUZZ_TARGETS if set, else every target the build lists. Sets `targets`.
fuzz_targets() {
  if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
  else
    mapfile -t targets <"$BUILD_DIR/fuzzers.txt"
  fi
  [ ${#targets[@]} -gt 0 ] || fail "no fuzz targets listed in $BUILD_DIR/fuzzers.txt"
}

# Sanitizer settings for every run: a finding aborts (libFuzzer saves the input).
fuzz_env() {
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$@"
}

# "cov: N ft: M" from the last status line of a libFuzzer log.
fuzz_coverage() {
  grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$1" | tail -1
}

# Whether a corpus file name is one libFuzzer generated (its SHA-1) rather than a named seed.
fuzz_generated_name() {
  [[ $1 =~ ^[0-9a-f]{40}$ ]]
}
