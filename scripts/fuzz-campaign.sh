#!/usr/bin/env bash
# A fuzzing campaign: builds the libFuzzer targets of tests/fuzz (as scripts/fuzz-smoke.sh does),
# runs each target in turn for FUZZ_CAMPAIGN_SECONDS on a scratch copy of its committed corpus,
# then minimises what it found back into tests/fuzz/corpus/<target>/ with -merge=1.
#
#   scripts/fuzz-campaign.sh                      # every target, 5 minutes each
#   FUZZ_CAMPAIGN_SECONDS=900 scripts/fuzz-campaign.sh http_request_fuzzer multipart_fuzzer
#
# One fuzzer process at a time (no -jobs/-workers): the machine is shared.
#
# The committed corpus keeps two kinds of files: named seeds (seed_*, captured_*, regression_*,
# anything not named like a SHA-1), which are never removed, and inputs the fuzzer generated
# (named by their SHA-1), which each campaign replaces by the minimal set that, on top of the
# named seeds, covers everything the scratch corpus covers. When that set has more than
# FUZZ_CORPUS_MAX_FILES files, the merge is redone on edge coverage alone (-use_counters=0: hit
# counts are not kept), so a corpus stays at hundreds of small files.
#
# A crash stops nothing: the other targets still run, the input is kept in
# build/fuzz/crashes/<target>/, and the script exits non-zero at the end. Turn a real bug's input
# into tests/fuzz/corpus/<target>/regression_<what> once it is fixed.
#
# Tunables (environment): FUZZ_CAMPAIGN_SECONDS (default 300), FUZZ_CORPUS_MAX_FILES (default
# 400), FUZZ_BUILD_DIR (default build/fuzz), FUZZ_TARGETS or arguments (default: all),
# FUZZ_MAX_LEN (overrides the per-target -max_len of scripts/fuzz-common.sh), FUZZ_KEEP_SCRATCH=1
# (keep the scratch corpora and logs; their path is printed).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

SECONDS_PER_TARGET=${FUZZ_CAMPAIGN_SECONDS:-300}
MAX_FILES=${FUZZ_CORPUS_MAX_FILES:-400}
BUILD_DIR=${FUZZ_BUILD_DIR:-$ROOT/build/fuzz}
SRC_DIR=$ROOT/tests/fuzz
LOG_DIR=$BUILD_DIR/campaign

fail() {
  echo "fuzz campaign: FAILED: $*" >&2
  exit 1
}

# shellcheck source=scripts/fuzz-common.sh
. "$ROOT/scripts/fuzz-common.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-campaign.XXXXXX") || fail "cannot create a temporary directory"
if [ "${FUZZ_KEEP_SCRATCH:-0}" = 1 ]; then
  echo "fuzz campaign: scratch corpora kept in $WORK"
else
  trap 'rm -rf "$WORK"' EXIT
fi

fuzz_build "fuzz campaign"
[ $# -gt 0 ] && FUZZ_TARGETS="$*"
fuzz_targets
mkdir -p "$LOG_DIR"

count_files() { find "$1" -maxdepth 1 -type f | wc -l; }
corpus_kib() { du -sk --apparent-size "$1" | cut -f1; }

summary=()
crashed=()
for t in "${targets[@]}"; do
  bin=$BUILD_DIR/$t
  committed=$SRC_DIR/corpus/$t
  [ -x "$bin" ] || fail "no executable $bin"
  max_len=${FUZZ_MAX_LEN:-$(fuzz_max_len "$t")}
  scratch=$WORK/$t/scratch
  merged=$WORK/$t/merged
  artifacts=$WORK/$t/artifacts
  mkdir -p "$scratch" "$merged" "$artifacts" "$committed"
  cp -R "$committed/." "$scratch/"
  before="$(count_files "$committed") files, $(corpus_kib "$committed") KiB"

  # 1. The campaign.
  log=$LOG_DIR/$t.log
  echo "fuzz campaign: $t: fuzzing for ${SECONDS_PER_TARGET}s (-max_len=$max_len), log in $log"
  start=$SECONDS
  fuzz_env "$bin" -max_total_time="$SECONDS_PER_TARGET" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$scratch" >"$log" 2>&1
  rc=$?
  elapsed=$((SECONDS - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  end_cov=$(fuzz_coverage "$log")
  if [ $rc -ne 0 ]; then
    keep=$BUILD_DIR/crashes/$t
    mkdir -p "$keep"
    cp "$artifacts"/* "$keep/" 2>/dev/null
    cp "$log" "$keep/campaign.log"
    echo "fuzz campaign: $t: CRASHED after ${elapsed}s (exit $rc); inputs in $keep/:"
    grep -E 'ERROR|SUMMARY|property violated|runtime error' "$log" | head -5 | sed "s/^/  [$t] /"
    crashed+=("$t")
  fi

  # 2. Minimise: the named seeds, plus the generated inputs that add coverage to them.
  for f in "$committed"/*; do
    [ -f "$f" ] && ! fuzz_generated_name "$(basename "$f")" && cp "$f" "$merged/"
  done
  merge_log=$LOG_DIR/$t.merge.log
  fuzz_env "$bin" -merge=1 -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 "$merged" "$scratch" \
    >"$merge_log" 2>&1 || fail "$t: merge failed (log: $merge_log)"
  how="all features"
  if [ "$(count_files "$merged")" -gt "$MAX_FILES" ]; then
    find "$merged" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
    fuzz_env "$bin" -merge=1 -use_counters=0 -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 "$merged" "$scratch" \
      >"$merge_log" 2>&1 || fail "$t: merge failed (log: $merge_log)"
    how="edges only"
  fi

  # 3. Replace the generated inputs of the committed corpus by the merged ones.
  find "$committed" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
  for f in "$merged"/*; do
    fuzz_generated_name "$(basename "$f")" && cp "$f" "$committed/"
  done

  # 4. Replay the new committed corpus: what it covers now, and that nothing in it crashes.
  replay_log=$LOG_DIR/$t.replay.log
  fuzz_env "$bin" -runs=0 -timeout=10 -rss_limit_mb=2048 "$committed" >"$replay_log" 2>&1 ||
    { echo "fuzz campaign: $t: the merged corpus crashes (log: $replay_log)"; crashed+=("$t"); }
  after="$(count_files "$committed") files, $(corpus_kib "$committed") KiB"
  line="$t: ${elapsed}s, ${execs:-?} runs, end of run ${end_cov:-?}; corpus $before -> $after ($how), replay $(fuzz_coverage "$replay_log")"
  echo "fuzz campaign: $line"
  summary+=("$line")
done

echo "fuzz campaign: summary"
printf '  %s\n' "${summary[@]}"
if [ ${#crashed[@]} -gt 0 ]; then
  echo "fuzz campaign: crashes in: ${crashed[*]} (inputs in $BUILD_DIR/crashes/)" >&2
  exit 1
fi
echo "fuzz campaign: no crash; review and commit tests/fuzz/corpus/"
