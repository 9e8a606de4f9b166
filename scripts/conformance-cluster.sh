#!/usr/bin/env bash
# The protocol suites against three chatd replicas behind a round-robin load balancer (issue #14):
# Redis as the broker (a private scripts/services.sh instance on a free port), three
# `chatd --conformance` replicas with SCALABLE=true on 127.0.0.1 (free ports), HAProxy with
# deploy/haproxy/haproxy-roundrobin.cfg as it is on 127.0.0.1:3000 (where the official suites
# look), then COMMAND, then everything stopped again (also on failure and on Ctrl-C).
#
#   scripts/conformance-cluster.sh                   our own tests/protocol suite through HAProxy
#   scripts/conformance-cluster.sh COMMAND [ARGS...] anything else, e.g. an official suite:
#     (cd $SIO/docs/socket.io-protocol/v5-test-suite && npm ci) &&
#     scripts/conformance-cluster.sh sh -c "cd $SIO/docs/socket.io-protocol/v5-test-suite && npx mocha test-suite.js"
#
# Without a COMMAND the files of tests/protocol are grouped by the chatd flags each asks for
# (PROTOCOL_PRINT_SERVER_ARGS=1, tests/protocol/setup.mjs): the replicas run with each group's
# flags in turn. COMMAND gets PROTOCOL_URL (http://127.0.0.1:3000), PROTOCOL_SERVER_ARGS (the
# flags), PROTOCOL_SERVER_LOGS and PROTOCOL_SERVER_PIDS (the replicas', for its own checks).
#
# Settings (environment): CHATD (default build/release/chatd, else build/test/chatd),
# CONFORMANCE_LB (roundrobin, or sticky: deploy/haproxy/haproxy.cfg, for comparison),
# CONFORMANCE_LB_PORT (3000), CHATD_ARGS (more chatd flags for every replica, with COMMAND),
# CONFORMANCE_SCALABLE (true; false runs three independent servers, which shows what breaks
# without a cluster), CONFORMANCE_DIR (build/conformance-cluster: logs, the rendered state).
# Exit status: COMMAND's (the worst of the groups'), or 1 when a replica died or printed a
# sanitizer report, or when something could not be set up.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${CHATD:-}" ]; then
  CHATD="$ROOT/build/release/chatd"
  [ -x "$CHATD" ] || CHATD="$ROOT/build/test/chatd"
fi
CHATD="$(cd "$(dirname "$CHATD")" && pwd)/$(basename "$CHATD")"
LB="${CONFORMANCE_LB:-roundrobin}"
LB_PORT="${CONFORMANCE_LB_PORT:-3000}"
SCALABLE="${CONFORMANCE_SCALABLE:-true}"
WORK="${CONFORMANCE_DIR:-$ROOT/build/conformance-cluster}"
case "$LB" in
  roundrobin) CFG="$ROOT/deploy/haproxy/haproxy-roundrobin.cfg" ;;
  sticky) CFG="$ROOT/deploy/haproxy/haproxy.cfg" ;;
  *) echo "conformance-cluster: CONFORMANCE_LB=$LB: roundrobin or sticky" >&2; exit 2 ;;
esac

log() { echo "conformance-cluster: $*" >&2; }
die() { log "$*"; exit 1; }
[ -x "$CHATD" ] || die "no chatd at $CHATD (build it, or set CHATD)"
for tool in haproxy node curl redis-server; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/setup.sh installs it)"
done

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
# A port someone else listens on (another run, a forgotten server) would take the suite's requests.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

mkdir -p "$WORK"
SERVICES_DIR="$WORK/services"
REDIS_PORT="$(free_port)"
PIDS=()
HAPROXY_PID=""
REDIS_UP=false

stop_replicas() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "replica $pid did not stop within 10 s of SIGTERM; killed"; kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
stop_haproxy() {
  if [ -n "$HAPROXY_PID" ]; then kill -TERM "$HAPROXY_PID" 2>/dev/null || true; HAPROXY_PID=""; fi
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  stop_haproxy
  stop_replicas
  if $REDIS_UP; then SERVICES_DIR="$SERVICES_DIR" REDIS_PORT="$REDIS_PORT" bash "$ROOT/scripts/services.sh" stop redis >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'log "interrupted; stopping everything"; exit 130' INT TERM HUP

start_redis() {
  [ "$SCALABLE" = true ] || return 0
  SERVICES_DIR="$SERVICES_DIR" REDIS_PORT="$REDIS_PORT" bash "$ROOT/scripts/services.sh" start redis
  REDIS_UP=true
}

# start_cluster FLAGS...: three replicas with FLAGS, HAProxy in front; waits until HAProxy sees all UP.
start_cluster() {
  port_busy "$LB_PORT" && die "127.0.0.1:$LB_PORT is taken already (another run, or a chatd --conformance left running)"
  local i port ports=() logs=() broker_env=()
  [ "$SCALABLE" = true ] && broker_env=(REDIS_HOST=127.0.0.1 "REDIS_PORT=$REDIS_PORT")
  for i in 1 2 3; do
    port="$(free_port)"
    ports+=("$port")
    logs+=("$WORK/chat$i.log")
    : >"$WORK/chat$i.log"
    # Only these settings: nothing from the caller's environment changes the servers.
    env -i PATH="$PATH" HOME="${HOME:-/root}" ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
      SCALABLE="$SCALABLE" "${broker_env[@]}" \
      REPLICA_NAME="conformance$i" LOG_LEVEL=debug \
      "$CHATD" --conformance --host 127.0.0.1 --port "$port" "$@" >>"$WORK/chat$i.log" 2>&1 &
    PIDS+=("$!")
  done
  for i in 0 1 2; do
    local ok=false
    for _ in $(seq 300); do
      if curl -fsS -m 1 "http://127.0.0.1:${ports[$i]}/healthz" >/dev/null 2>&1; then ok=true; break; fi
      kill -0 "${PIDS[$i]}" 2>/dev/null || break
      sleep 0.1
    done
    $ok || { tail -n 30 "${logs[$i]}" >&2; die "replica $((i + 1)) (chatd --conformance $* on ${ports[$i]}) did not become healthy; log: ${logs[$i]}"; }
  done
  # Cluster mode: every replica must have heard the others' session tags over the broker (one
  # heartbeat, CHAT_CLUSTER_HEARTBEAT_MS) before it can forward their sessions' requests; until
  # then it refuses them as unknown sessions. (chatd without forwarding logs no tags: no wait.)
  if [ "$SCALABLE" = true ] && grep -q "engine.io: session tag " "${logs[0]}"; then
    local tags=() missing
    for i in 0 1 2; do tags+=("$(sed -n 's/.*engine\.io: session tag \([^ ]*\).*/\1/p' "${logs[$i]}" | tail -n 1)"); done
    for _ in $(seq 150); do
      missing=""
      for i in 0 1 2; do for j in 0 1 2; do
        [ "$i" = "$j" ] && continue
        grep -qF "holds sessions tagged ${tags[$j]}" "${logs[$i]}" || missing+=" replica $((i + 1)) has not heard replica $((j + 1))'s tag ${tags[$j]};"
      done; done
      [ -z "$missing" ] && break
      sleep 0.1
    done
    [ -z "$missing" ] || die "the replicas did not learn each other's session tags within 15 s:$missing (logs in $WORK)"
  fi
  export CHAT_LB_BIND="127.0.0.1:$LB_PORT" CHAT_LB_STATS_SOCKET="$WORK/haproxy.sock"
  export CHAT_REPLICA_1="127.0.0.1:${ports[0]}" CHAT_REPLICA_2="127.0.0.1:${ports[1]}" CHAT_REPLICA_3="127.0.0.1:${ports[2]}"
  haproxy -c -q -f "$CFG" || die "haproxy -c -f $CFG failed"
  haproxy -D -f "$CFG" -p "$WORK/haproxy.pid" || die "haproxy did not start"
  HAPROXY_PID="$(cat "$WORK/haproxy.pid")"
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const net = require("net");
    const deadline = Date.now() + 20000;
    (function ask() {
      const s = net.createConnection(process.argv[1]);
      let data = "";
      s.on("connect", () => s.write("show stat\n"));
      s.on("data", (d) => (data += d));
      const again = (why) => {
        if (Date.now() > deadline) { console.error(`HAProxy did not see every replica UP: ${why}`); process.exit(1); }
        setTimeout(ask, 200);
      };
      s.on("error", (e) => again(e.message));
      s.on("end", () => {
        const rows = data.split("\n").filter((l) => /^chat,chat\d,/.test(l)).map((l) => l.split(","));
        const status = rows.map((r) => `${r[1]} ${r[17]}`);
        if (rows.length === 3 && rows.every((r) => r[17] === "UP")) process.exit(0);
        again(status.join(", "));
      });
    })();' "$WORK/haproxy.sock" || die "HAProxy's health checks never saw the three replicas UP (logs in $WORK)"
  export PROTOCOL_URL="http://127.0.0.1:$LB_PORT"
  export PROTOCOL_SERVER_ARGS="$*"
  PROTOCOL_SERVER_LOGS="$(IFS=:; echo "${logs[*]}")"
  PROTOCOL_SERVER_PIDS="$(IFS=,; echo "${PIDS[*]}")"
  export PROTOCOL_SERVER_LOGS PROTOCOL_SERVER_PIDS
  log "3 replicas (${ports[*]}, SCALABLE=$SCALABLE${*:+, flags: $*}) behind HAProxy $LB ($(basename "$CFG")) on $PROTOCOL_URL; logs in $WORK"
}

# After a group: the replicas must still run and hold no sanitizer report.
check_replicas() {
  local i bad=0
  for i in 0 1 2; do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then log "replica $((i + 1)) died during the run (log: $WORK/chat$((i + 1)).log)"; bad=1; fi
    if grep -qE "AddressSanitizer|LeakSanitizer|runtime error:|ThreadSanitizer" "$WORK/chat$((i + 1)).log"; then
      log "replica $((i + 1)) printed a sanitizer report (log: $WORK/chat$((i + 1)).log)"; bad=1
    fi
  done
  return $bad
}

# run_group FLAGS -- COMMAND...: a cluster with FLAGS, COMMAND against it, the cluster stopped.
run_group() {
  local flags=()
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  start_cluster "${flags[@]}"
  local rc=0
  (cd "$ROOT/tests" && "$@") || rc=$?
  check_replicas || rc=1
  stop_haproxy
  stop_replicas
  return $rc
}

start_redis
status=0
if [ $# -gt 0 ]; then
  # shellcheck disable=SC2086 # CHATD_ARGS is a list of flags
  run_group ${CHATD_ARGS:-} -- "$@" || status=$?
else
  declare -A groups=()
  for f in "$ROOT"/tests/protocol/*.test.mjs; do
    line="$(cd "$ROOT/tests" && PROTOCOL_PRINT_SERVER_ARGS=1 timeout 30 node "$f" | sed -n 's/^protocol-server-args: *//p' | tail -n 1)" ||
      die "could not ask $f which server flags it needs"
    groups["=$line"]+=" $f" # "=": bash refuses an empty key (the files that need no flags)
  done
  for key in "${!groups[@]}"; do
    group_flags="${key#=}"
    log "tests/protocol files for chatd flags \"$group_flags\":${groups[$key]//$ROOT\/tests\/protocol\//}"
    # shellcheck disable=SC2086 # word-split on purpose: flags and file names have no spaces
    run_group $group_flags -- node --test --test-reporter=spec --test-concurrency=1 ${groups[$key]} || status=1
  done
fi
exit $status
