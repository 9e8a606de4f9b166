#!/usr/bin/env bash
# Side-by-side benchmark of chatd and the Node.js socket.io peer with the shared yardstick
# (../shared/bench), in one run on this machine. Results: build/bench/results/*.jsonl and a
# summary printed at the end (copy the figures into BENCHMARKS.md).
#
#   bench/run.sh                       cost, idle and fanout, 3 runs each, both servers
#   REPEATS=1 SCENARIOS=cost bench/run.sh
#   RATES="100 200 300" bench/run.sh maxrate   chatd fanout once per rate (p99 < 200 ms, no loss?)
#   bench/run.sh floor                 the raw-socket floor (one write() per frame) at R=50
#   bench/run.sh cluster               fanout: chatd 1 process vs 2 replicas over each broker
#                                      (redis nats amqp postgres), and the peer's 2 processes
#                                      with its redis adapter; CLUSTER_RATE (100), BROKERS
#   CAPACITY=3000 bench/run.sh overload  chat path on one core at probe rates, then 1x/2x/5x
#                                      CAPACITY (bench/overload.mjs: acks, drops, sync, RSS);
#                                      OVERLOAD_TEXT (100) bytes a message, OVERLOAD_SECONDS (20),
#                                      OVERLOAD_ROOMS (40)
#   RATES="1000 2000" CHATD_CAPACITY=.. PEER_CAPACITY=.. bench/run.sh overload-peer
#                                      the same, everyone in "general", chatd and node-chat
#   bench/run.sh chat                  chat path (sign-in, message:send with acks, "message"
#                                      broadcasts) with bench/loadgen-cpp --scenario chat: chatd and
#                                      node-chat interleaved, REPEATS runs each; results/chat.jsonl
#   CHAT_CONFIGS="10:10:1000:1 100:20:500:10" CHAT_SECONDS=10 REPEATS=1 bench/run.sh chat
#                                      users:senders:rate:rooms per configuration (rooms > 1: chatd
#                                      only, the peer has just "general"); CHAT_SECONDS measured;
#                                      CHATD_ARGS="--store-group-wait 0" adds flags to chatd's command
#   bench/run.sh soak                  10 min (SOAK_SECONDS) at 16,000 msgs/s (SOAK_RATE) plus users that
#                                      join, leave, reconnect and sync (bench/soak-churn.mjs); results/soak.jsonl
#   bench/run.sh chat-floor            what SQLite alone costs a stored message (bench/chat-floor), on
#                                      CPU 0: FLOOR_BATCHES (1 10 100 1000) a transaction, FLOOR_MESSAGES (50000)
#   bench/run.sh chat-cluster          chat path (as `chat`) against 3 chatd replicas (CLUSTER_REPLICAS) sharing
#                                      PostgreSQL (a fresh database per run), fanning out over Redis, no CPU
#                                      pinning; psql checks every room's seqs after each run; results/chat-cluster.jsonl
#   CLUSTER_CHAT_CONFIGS="30:30:10000:1 100:100:10000:100" CHAT_SECONDS=10 REPEATS=1 bench/run.sh chat-cluster
#                                      users:senders:rate:rooms per configuration (those are the defaults)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
WORK=$ROOT/build/bench
CHATD=${CHATD:-$ROOT/build/release/chatd}
REPEATS=${REPEATS:-3}
SCENARIOS=${SCENARIOS:-cost idle fanout}
PEER_NAME=node-socketio-4.8

[ -d "$SHARED" ] || { echo "bench: the shared yardstick is not at $SHARED (set SHARED_BENCH)" >&2; exit 1; }
[ -x "$CHATD" ] || { echo "bench: $CHATD is missing: run 'make build-release' first" >&2; exit 1; }

# The shared folder is read-only: work on a copy (results from earlier runs are kept).
mkdir -p "$WORK"
(cd "$SHARED" && tar cf - --exclude=node_modules --exclude=results .) | (cd "$WORK" && tar xf -)
chmod -R u+w "$WORK"
mkdir -p "$WORK/results"
for dir in loadgen peers/node-socketio; do
  [ -d "$WORK/$dir/node_modules" ] || (cd "$WORK/$dir" && npm ci --no-audit --no-fund --loglevel=error)
done
cd "$WORK"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

CHATD_CMD=("$CHATD" --bench --host 127.0.0.1 --port "{PORT}" --log-level warn)
PEER_CMD=(node "$WORK/peers/node-socketio/server.js")

case "${1:-suite}" in
  suite)
    for scenario in $SCENARIOS; do
      # Interleaved per scenario so both servers see the same machine conditions.
      ./suite.sh --name "$PEER_NAME" --scenarios "$scenario" --repeats "$REPEATS" \
        --results "results/$PEER_NAME.jsonl" -- "${PEER_CMD[@]}"
      ./suite.sh --name chatd --scenarios "$scenario" --repeats "$REPEATS" \
        --results results/chatd.jsonl -- "${CHATD_CMD[@]}"
    done
    node summarize.js "results/$PEER_NAME.jsonl" results/chatd.jsonl
    ;;
  maxrate)
    ./suite.sh --name chatd --scenarios fanout --repeats "${REPEATS}" --rates "${RATES:-100 150 200 250}" \
      --results results/chatd-maxrate.jsonl -- "${CHATD_CMD[@]}"
    node summarize.js results/chatd-maxrate.jsonl
    ;;
  peer-maxrate)
    ./suite.sh --name "$PEER_NAME" --scenarios fanout --repeats "${REPEATS}" --rates "${RATES:-80 90}" \
      --results "results/$PEER_NAME-maxrate.jsonl" -- "${PEER_CMD[@]}"
    node summarize.js "results/$PEER_NAME-maxrate.jsonl"
    ;;
  floor)
    gcc -O2 -o floor/floor floor/floor.c
    for i in 1 2 3; do ./floor/floor 1000 50 10 1; done
    ;;
  cluster)
    # Brokers and PostgreSQL as private instances (scripts/services.sh), measured as extra pids.
    RATE=${CLUSTER_RATE:-100}
    FANOUT=(--fanout-args "--clients 1000 --senders 10 --rate $RATE --duration 20")
    "$ROOT/scripts/services.sh" start postgres redis nats rabbitmq
    SVC=$ROOT/build/services
    pid_of() { case $1 in
      redis) cat "$SVC/redis/redis.pid" ;; nats) cat "$SVC/nats/nats.pid" ;;
      amqp) cat "$SVC/rabbitmq/rabbit.pid" ;; postgres) head -1 "$SVC/postgres/data/postmaster.pid" ;; esac; }
    # Like the peer's redis, the brokers share CPU 0 with the servers (all their threads and,
    # for PostgreSQL, all its processes).
    for b in redis nats amqp; do taskset -apc 0 "$(pid_of $b)" >/dev/null; done
    for p in $(pgrep -u postgres); do taskset -apc 0 "$p" >/dev/null; done
    [ -n "${SKIP_ONE_PROC:-}" ] || ./suite.sh --name chatd-1proc --scenarios fanout --repeats "$REPEATS" "${FANOUT[@]}" \
      --results results/cluster-chatd-1proc.jsonl -- "${CHATD_CMD[@]}"
    for broker in ${BROKERS:-redis nats amqp postgres}; do
      # Only the chosen broker's address: chatd refuses ambiguous settings.
      case $broker in
        redis) BROKER_ENV=(REDIS_HOST=127.0.0.1 REDIS_PORT=56379) ;;
        nats) BROKER_ENV=(NATS_HOST=127.0.0.1 NATS_PORT=54222) ;;
        amqp) BROKER_ENV=(RABBIT_HOST=127.0.0.1 RABBIT_PORT=55672) ;;
        postgres) BROKER_ENV=(DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres) ;;
      esac
      env SCALABLE=true BROKER="$broker" "${BROKER_ENV[@]}" \
        ./suite.sh --name "chatd-2x-$broker" --procs 2 --scenarios fanout --repeats "$REPEATS" "${FANOUT[@]}" \
        --extra-pid "$(pid_of "$broker")" --results "results/cluster-chatd-2x-$broker.jsonl" -- "${CHATD_CMD[@]}"
    done
    ./run-peer.sh redis --scenarios fanout --repeats "$REPEATS" "${FANOUT[@]}" \
      --results "results/cluster-$PEER_NAME-redis2.jsonl"
    node summarize.js results/cluster-*.jsonl
    ;;
  overload)
    # chatd on CPU 0 alone (all its threads, one event loop), the load on CPU 1. First the rates
    # one core sustains (ack p99 under 200 ms, nothing refused), then 2x and 5x of it. The
    # per-user limits are lifted so that the event loop, not a user's quota, is what gives out.
    OUT=results/overload-${OVERLOAD_TEXT:-100}-${OVERLOAD_ROOMS:-40}.jsonl
    : > "$OUT"
    run_overload() {  # rate label
      local dir port pid
      dir=$(mktemp -d)
      port=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
      # A 256 KiB outbox (instead of 8 MiB) so that the never-reading clients overflow within a
      # run of 100-byte messages, and their drop and catch-up show.
      taskset -c 0 "$CHATD" --host 127.0.0.1 --port "$port" --threads 1 --log-level warn \
        --database-url "sqlite:$dir/chat.db" --upload-dir "$dir/uploads" --max-outbox-bytes 262144 \
        --message-rate 100000 --message-burst 100000 --room-creations-per-hour 100000 \
        --sign-ins-per-minute 100000 --sign-ups-per-hour 100000 --sign-ups-per-minute-total 100000 \
        >"$dir/chatd.log" 2>&1 &
      pid=$!
      for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
      # OVERLOAD_ROOMS (40) rooms of three: a sender, a reader that keeps up, one client that
      # never reads.
      taskset -c 1 node "$ROOT/bench/overload.mjs" --url "http://127.0.0.1:$port" --pid "$pid" --rate "$1" \
        --seconds "${OVERLOAD_SECONDS:-20}" --groups "${OVERLOAD_ROOMS:-40}" --senders 1 --stalled 1 --text "${OVERLOAD_TEXT:-100}" \
        --label "$2" | tee -a "$OUT"
      kill -TERM "$pid"; wait "$pid" || true
      { grep -c "cannot keep up\|refusing" "$dir/chatd.log" || true; } | sed 's/^/log lines about drops and refusals: /'
      rm -rf "$dir"
    }
    for rate in ${CAPACITY_RATES:-4000 6000 8000}; do run_overload "$rate" "probe-$rate"; done
    [ -n "${CAPACITY:-}" ] || { echo "set CAPACITY=<msgs/s one core sustains> (from the probes above) for the 2x/5x runs"; exit 0; }
    run_overload "$CAPACITY" 1x
    run_overload $((CAPACITY * 2)) 2x
    run_overload $((CAPACITY * 5)) 5x
    ;;
  overload-peer)
    # Side by side with ../shared/bench/peers/node-chat (socket.io + better-sqlite3): everyone in
    # "general" (the part of the protocol the peer speaks): 4 senders, a reader, 2 clients that
    # never read; each server alone on CPU 0, at its own 1x, 2x and 5x (CHATD_CAPACITY,
    # PEER_CAPACITY: the rates each sustains, from RATES probes). Per-user limits lifted.
    [ -d "$WORK/peers/node-chat/node_modules" ] || (cd "$WORK/peers/node-chat" && npm ci --no-audit --no-fund --loglevel=error)
    OUT=results/overload-peer.jsonl
    : > "$OUT"
    run_general() {  # server rate label
      local dir port pid
      dir=$(mktemp -d)
      port=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
      if [ "$1" = chatd ]; then
        taskset -c 0 "$CHATD" --host 127.0.0.1 --port "$port" --threads 1 --log-level warn \
          --database-url "sqlite:$dir/chat.db" --upload-dir "$dir/uploads" --max-outbox-bytes 262144 \
          --message-rate 100000 --message-burst 100000 \
          --sign-ins-per-minute 100000 --sign-ups-per-hour 100000 --sign-ups-per-minute-total 100000 \
          >"$dir/server.log" 2>&1 &
      else
        PORT=$port DATABASE="$dir/peer.db" taskset -c 0 node "$WORK/peers/node-chat/server.js" >"$dir/server.log" 2>&1 &
      fi
      pid=$!
      for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
      taskset -c 1 node "$ROOT/bench/overload.mjs" --url "http://127.0.0.1:$port" --pid "$pid" --rate "$2" \
        --seconds "${OVERLOAD_SECONDS:-20}" --general 1 --groups 1 --senders 4 --stalled 2 \
        --text "${OVERLOAD_TEXT:-100}" --label "$1-$3" | tee -a "$OUT"
      kill -TERM "$pid"; wait "$pid" || true
      rm -rf "$dir"
    }
    for rate in ${RATES:-}; do run_general chatd "$rate" "probe-$rate"; run_general peer "$rate" "probe-$rate"; done
    if [ -n "${CHATD_CAPACITY:-}" ] && [ -n "${PEER_CAPACITY:-}" ]; then
      for x in 1 2 5; do
        run_general chatd $((CHATD_CAPACITY * x)) "${x}x"
        run_general peer $((PEER_CAPACITY * x)) "${x}x"
      done
    fi
    ;;
  chat-floor)
    # SQLite's share of the chat path: chatd's schema, pragmas and per-message statements in C
    # (bench/chat-floor/README.md), one transaction per message and group commits, on CPU 0, in a
    # fresh database where mktemp -d puts it (as the overload runs do: set TMPDIR to move it).
    # Interleaved per repeat so every batch size sees the same machine conditions.
    mkdir -p chat-floor
    gcc -O2 -Wall -Wextra -o chat-floor/chat_floor "$ROOT"/bench/chat-floor/*.c -lsqlite3
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    echo "chat-floor: database in $dir ($(stat -f -c %T "$dir"))"
    for _ in $(seq "$REPEATS"); do
      for batch in ${FLOOR_BATCHES:-1 10 100 1000}; do
        taskset -c 0 ./chat-floor/chat_floor "$dir/chat.db" "${FLOOR_MESSAGES:-50000}" "$batch" \
          "${FLOOR_TEXT:-100}" "${FLOOR_ROOMS:-1}" "${FLOOR_STATEMENTS:-chatd}" | tee -a "$dir/runs.jsonl"
      done
    done
    cat "$dir/runs.jsonl" >> results/chat-floor.jsonl
    node -e '
      const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
      const median = (xs) => { const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
        return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
      console.log(`median of ${rows.length / new Set(rows.map((r) => r.batch)).size} runs, ` +
        `${rows[0].messages} messages of ${rows[0].text_bytes} B, ${rows[0].rooms} room(s), statements ${rows[0].statements}`);
      console.log("batch  cpu us/msg   msgs/s  checkpoints");
      for (const b of [...new Set(rows.map((r) => r.batch))]) {
        const rs = rows.filter((r) => r.batch === b);
        console.log(String(b).padStart(5), median(rs.map((r) => r.cpu_us_per_msg)).toFixed(1).padStart(11),
          median(rs.map((r) => r.msgs_per_s)).toFixed(0).padStart(8), String(median(rs.map((r) => r.checkpoints))).padStart(12));
      }' "$dir/runs.jsonl"
    ;;
  chat)
    # The chat path as a user drives it: every user signs in over HTTP (not measured), connects
    # with the session cookie, senders send message:send with acks at a fixed total rate (open
    # loop), everyone counts the "message" broadcasts of their room (bench/loadgen-cpp, --scenario
    # chat). For each configuration chatd and ../shared/bench/peers/node-chat in turn, REPEATS
    # times (chatd, peer, chatd, peer, ...), each fresh with a fresh database, alone on CPU 0; the
    # load generator on CPU 1. Per-user limits lifted, so that what is measured is the server's
    # cost per stored message, not a quota.
    LOADGEN_DIR=$ROOT/bench/loadgen-cpp
    LOADGEN=$LOADGEN_DIR/build/fanout-cpp
    if [ ! -x "$LOADGEN" ] || [ -n "$(find "$LOADGEN_DIR" -maxdepth 1 -newer "$LOADGEN" \( -name '*.[ch]pp' -o -name CMakeLists.txt \) | head -1)" ]; then
      nice cmake -S "$LOADGEN_DIR" -B "$LOADGEN_DIR/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
      nice cmake --build "$LOADGEN_DIR/build" -j1
    fi
    [ -d "$WORK/peers/node-chat/node_modules" ] || (cd "$WORK/peers/node-chat" && npm ci --no-audit --no-fund --loglevel=error)
    OUT=results/chat.jsonl
    : > "$OUT"
    run_chat() {  # server users senders rate rooms rep
      local dir port pid label
      dir=$(mktemp -d)
      port=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
      if [ "$1" = chatd ]; then
        taskset -c 0 "$CHATD" ${CHATD_ARGS:-} --host 127.0.0.1 --port "$port" --threads 1 --log-level warn \
          --database-url "sqlite:$dir/chat.db" --upload-dir "$dir/uploads" \
          --message-rate 100000 --message-burst 100000 --room-creations-per-hour 100000 \
          --sign-ins-per-minute 100000 --sign-ups-per-hour 100000 --sign-ups-per-minute-total 100000 \
          --max-rooms-per-user 100000 --max-connections-per-client 100000 --max-sessions-per-client 100000 \
          --max-pending-per-connection 1000 \
          >"$dir/server.log" 2>&1 &
      else
        PORT=$port DATABASE="$dir/peer.db" taskset -c 0 node "$WORK/peers/node-chat/server.js" >"$dir/server.log" 2>&1 &
      fi
      pid=$!
      for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
      label="$1/$2:$3:$4:$5/$6"
      echo "== chat $label"
      # The summary's main lines on the terminal, the JSON line (the last, also on failure) into $OUT.
      taskset -c 1 "$LOADGEN" --scenario chat --target "127.0.0.1:$port" --server-pid "$pid" --clients "$2" \
        --senders "$3" --rate "$4" --rooms "$5" --duration "${CHAT_SECONDS:-10}" --label "$label" --quiet \
        >"$dir/out.txt" || echo "   (not ok: see the status line)"
      sed '$d' "$dir/out.txt" | grep -E '^  (sign-in|acks|stored|ack latency|deliveries|lost|seq check|server CPU|other procs|bottleneck|error|status) ' || true
      tail -1 "$dir/out.txt" >>"$OUT"
      kill -TERM "$pid" 2>/dev/null || true  # gone already: the JSON line says so
      wait "$pid" || true
      # What the server logged at warn and above (chatd runs with --log-level warn): why clients
      # were dropped, refusals, errors.
      if [ "$1" = chatd ] && [ -s "$dir/server.log" ]; then
        echo "   server log: $(wc -l <"$dir/server.log") lines, the last ones:"
        tail -3 "$dir/server.log" | cut -c1-240 | sed 's/^/     /'
      fi
      rm -rf "$dir"
    }
    for config in ${CHAT_CONFIGS:-10:10:1000:1 10:10:3000:1 100:20:500:1}; do
      IFS=: read -r users senders rate rooms <<<"$config"
      for rep in $(seq "$REPEATS"); do
        run_chat chatd "$users" "$senders" "$rate" "${rooms:-1}" "$rep"
        if [ "${rooms:-1}" = 1 ]; then run_chat peer "$users" "$senders" "$rate" 1 "$rep"
        else echo "== chat peer/$config/$rep: skipped (rooms > 1: the peer only has \"general\")"; fi
      done
    done
    node "$LOADGEN_DIR/summarize-chat.mjs" "$OUT"
    ;;
  soak)
    # 10 minutes (SOAK_SECONDS) at SOAK_RATE msgs/s (default 16,000: 80 % of the 20,000 one core
    # sustains, BENCHMARKS.md) from the C++ load generator (10 users in two rooms, so that the
    # churn below is not in the flood), while bench/soak-churn.mjs signs users up, connects them
    # over every transport, joins, sends, leaves and reconnects them, and checks that every acked
    # message is stored once and reached each user live or by sync; RSS sampled every 10 s.
    # chatd alone on CPU 0, both load generators on CPU 1.
    LOADGEN=$ROOT/bench/loadgen-cpp/build/fanout-cpp
    [ -x "$LOADGEN" ] || { echo "bench: build bench/loadgen-cpp first (bench/run.sh chat does)" >&2; exit 1; }
    dir=$(mktemp -d)
    port=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
    taskset -c 0 "$CHATD" --host 127.0.0.1 --port "$port" --threads 1 --log-level warn \
      --database-url "sqlite:$dir/chat.db" --upload-dir "$dir/uploads" \
      --message-rate 100000 --message-burst 100000 --room-creations-per-hour 100000 \
      --sign-ins-per-minute 100000 --sign-ups-per-hour 100000 --sign-ups-per-minute-total 100000 \
      --max-pending-per-connection 1000 >"$dir/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    SECONDS_=${SOAK_SECONDS:-600}
    taskset -c 1 "$LOADGEN" --scenario chat --target "127.0.0.1:$port" --server-pid "$pid" --clients 10 \
      --senders 10 --rate "${SOAK_RATE:-16000}" --rooms 2 --duration "$SECONDS_" --label soak --quiet >"$dir/steady.txt" &
    steady=$!
    sleep 5
    taskset -c 1 node "$ROOT/bench/soak-churn.mjs" --url "http://127.0.0.1:$port" --pid "$pid" \
      --seconds $((SECONDS_ - 20)) --users "${SOAK_USERS:-24}" >"$dir/churn.txt" || true
    wait "$steady" || true
    grep -E '^  (stored|ack latency|lost|seq check|server CPU|status) ' "$dir/steady.txt" || true
    tail -1 "$dir/steady.txt" >>results/soak.jsonl
    cat "$dir/churn.txt" >>results/soak.jsonl
    node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").pop());
      const {rss_samples, ...rest} = r; console.log(JSON.stringify(rest))' "$dir/churn.txt"
    echo "log lines (warn and above): $(wc -l <"$dir/server.log")"
    kill -TERM "$pid"; wait "$pid" || true
    rm -rf "$dir"
    ;;
  chat-cluster)
    # The chat path (bench/loadgen-cpp --scenario chat, as in `chat`) against 3 chatd replicas
    # (CLUSTER_REPLICAS) that share one PostgreSQL database (a fresh one per run) and fan out over
    # Redis (scripts/services.sh's private instances). User i signs in and connects to replica
    # i mod 3, so most deliveries cross Redis. Per-user limits lifted as in `chat`, --threads 1 per
    # replica. No CPU pinning: the 2 cores are shared by the replicas, PostgreSQL, Redis and the
    # load generator, whose CPU is reported apart (server = the replicas summed; extra_cpu_pct
    # postgres = the postmaster and all its processes, redis). After each run psql checks that
    # every room's messages are seq 1..last_seq, no gap, no duplicate.
    LOADGEN_DIR=$ROOT/bench/loadgen-cpp
    LOADGEN=$LOADGEN_DIR/build/fanout-cpp
    if [ ! -x "$LOADGEN" ] || [ -n "$(find "$LOADGEN_DIR" -maxdepth 1 -newer "$LOADGEN" \( -name '*.[ch]pp' -o -name CMakeLists.txt \) | head -1)" ]; then
      nice cmake -S "$LOADGEN_DIR" -B "$LOADGEN_DIR/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
      nice cmake --build "$LOADGEN_DIR/build" -j1
    fi
    PG_PORT=${PG_PORT:-55432}
    REDIS_PORT=${REDIS_PORT:-56379}
    SVC=${SERVICES_DIR:-$ROOT/build/services}
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    PSQL=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -X -q -A -t -v ON_ERROR_STOP=1)
    REPLICAS=${CLUSTER_REPLICAS:-3}
    # Services this case starts, it stops at the end; ones already running are left running.
    CC_STARTED=()
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || CC_STARTED+=(postgres)
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG || CC_STARTED+=(redis)
    PG_PORT=$PG_PORT REDIS_PORT=$REDIS_PORT "$ROOT/scripts/services.sh" start postgres redis
    CC_PIDS=() CC_DB='' CC_DIR=''
    cc_cleanup() {
      local p
      for p in "${CC_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
      for p in "${CC_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
      CC_PIDS=()
      [ -z "$CC_DB" ] || "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $CC_DB WITH (FORCE)" >/dev/null || true
      CC_DB=
      [ -z "$CC_DIR" ] || rm -rf "$CC_DIR"
      CC_DIR=
    }
    trap 'cc_cleanup; [ ${#CC_STARTED[@]} -eq 0 ] || PG_PORT=$PG_PORT REDIS_PORT=$REDIS_PORT "$ROOT/scripts/services.sh" stop "${CC_STARTED[@]}"' EXIT
    OUT=results/chat-cluster.jsonl
    echo "chat-cluster: $REPLICAS chatd replicas (--threads 1 each), PostgreSQL and Redis on $(nproc) CPUs with the load generator: no CPU pinning"
    run_cluster() {  # users senders rate rooms rep
      local i port ports=() targets="" pg_pid redis_pid label
      CC_DIR=$(mktemp -d)
      CC_DB=chatbench_$$_$(date +%s%N | tail -c 7)
      "${PSQL[@]}" -d postgres -c "CREATE DATABASE $CC_DB" >/dev/null
      for i in $(seq "$REPLICAS"); do
        port=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
        ports+=("$port")
        targets+="${targets:+,}127.0.0.1:$port"
        # (without this script's CHAT_* settings, which chatd would warn about as unknown)
        env -u CHAT_SECONDS -u CHAT_CONFIGS "$CHATD" --host 127.0.0.1 --port "$port" --threads 1 --log-level warn --replica-name "r$i" \
          --database-url "postgres://postgres@127.0.0.1:$PG_PORT/$CC_DB" --scalable --broker redis \
          --redis-host 127.0.0.1 --redis-port "$REDIS_PORT" --upload-dir "$CC_DIR/uploads" \
          --message-rate 100000 --message-burst 100000 --room-creations-per-hour 100000 \
          --sign-ins-per-minute 100000 --sign-ups-per-hour 100000 --sign-ups-per-minute-total 100000 \
          --max-rooms-per-user 100000 --max-connections-per-client 100000 --max-sessions-per-client 100000 \
          --max-pending-per-connection 1000 \
          >"$CC_DIR/r$i.log" 2>&1 &
        CC_PIDS+=($!)
      done
      for port in "${ports[@]}"; do
        for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
      done
      pg_pid=$(head -1 "$SVC/postgres/data/postmaster.pid")
      redis_pid=$(cat "$SVC/redis/redis.pid")
      label="${REPLICAS}x/$1:$2:$3:$4/$5"
      echo "== chat-cluster $label"
      "$LOADGEN" --scenario chat --target "$targets" --server-pid "$(IFS=,; echo "${CC_PIDS[*]}")" \
        --extra-pid "postgres=$pg_pid" --extra-pid "redis=$redis_pid" --clients "$1" --senders "$2" --rate "$3" \
        --rooms "$4" --duration "${CHAT_SECONDS:-10}" --max-sign-ins "${CLUSTER_SIGN_INS:-6}" --label "$label" --quiet \
        >"$CC_DIR/out.txt" || echo "   (not ok: see the status line)"
      sed '$d' "$CC_DIR/out.txt" | grep -E '^  (sign-in|acks|stored|ack latency|deliveries|lost|seq check|server CPU|extra CPU|loadgen|other procs|bottleneck|error|status) ' || true
      # Every room's messages in the database: seq 1..last_seq, each once.
      "${PSQL[@]}" -d "$CC_DB" -F ' ' -c "
        WITH per AS (SELECT r.id, r.last_seq, count(m.id) AS n, count(DISTINCT m.seq) AS nd,
                            coalesce(min(m.seq), 1) AS lo, coalesce(max(m.seq), 0) AS hi
                     FROM rooms r LEFT JOIN messages m ON m.room_id = r.id GROUP BY r.id, r.last_seq)
        SELECT count(*) FILTER (WHERE n > 0), coalesce(sum(n), 0),
               count(*) FILTER (WHERE n <> hi OR hi <> last_seq OR nd <> n OR lo <> 1),
               coalesce(sum(greatest(last_seq - nd, 0)), 0), coalesce(sum(n - nd), 0) FROM per" >"$CC_DIR/db.txt"
      for i in $(seq "$REPLICAS"); do
        curl -sf "http://127.0.0.1:${ports[$((i - 1))]}/metrics" |
          awk -v r="r$i" '$1 == "chatd_store_groups_total" { g = $2 } $1 == "chatd_store_group_writes_total" { w = $2 }
                          END { print r, g + 0, w + 0 }' >>"$CC_DIR/groups.txt" || true
      done
      node -e '
        const fs = require("fs"), [out, db, groups, replicas, outFile] = process.argv.slice(1);
        const r = JSON.parse(fs.readFileSync(out, "utf8").trim().split("\n").pop());
        const [rooms, rows, bad, missing, dups] = fs.readFileSync(db, "utf8").trim().split(/\s+/).map(Number);
        r.replicas = Number(replicas);
        r.db_check = { rooms_with_messages: rooms, messages: rows, bad_rooms: bad, missing_seqs: missing, duplicate_seqs: dups,
                       ok: bad === 0 && missing === 0 && dups === 0 };
        r.store_groups = {};
        let g = 0, w = 0;
        for (const l of fs.readFileSync(groups, "utf8").trim().split("\n").filter(Boolean)) {
          const [name, gs, ws] = l.split(" ");
          r.store_groups[name] = { groups: Number(gs), writes: Number(ws), mean: Number(gs) ? Number(ws) / Number(gs) : null };
          g += Number(gs); w += Number(ws);
        }
        r.store_group_mean = g ? w / g : null;
        const f = (x, d = 0) => x == null || !Number.isFinite(x) ? "n/a" : x.toFixed(d);
        const x = r.extra_cpu_pct || {};
        console.log(`   ${r.label}: ${r.ok ? "ok" : "NOT OK"}${r.clean ? "" : " (not clean)"}, stored ${f(r.stored_msgs_per_s)} msgs/s` +
          ` of ${f(r.rate_msgs_per_s)}, ack p50 ${f(r.ack_latency_ms?.p50, 1)} p99 ${f(r.ack_latency_ms?.p99, 1)} ms,` +
          ` lost ${r.lost ?? "n/a"}, client seqs: ${r.seq_holes ?? "n/a"} never delivered, ${r.seq_duplicates ?? "n/a"} twice,` +
          ` ${r.seq_overtaken ?? "n/a"} overtaken; db ${r.db_check.ok ? "ok" : "BAD"}` +
          ` (${rows} msgs in ${rooms} rooms, ${bad} bad, ${missing} missing, ${dups} dup);` +
          ` CPU % of one core: replicas ${f(r.server?.cpu_pct)} postgres ${f(x.postgres)} redis ${f(x.redis)}` +
          ` loadgen ${f(r.loadgen_cpu_pct)} other ${f(r.other_processes_cpu_pct)}; mean group ${f(r.store_group_mean, 2)}`);
        fs.appendFileSync(outFile, JSON.stringify(r) + "\n");
      ' "$CC_DIR/out.txt" "$CC_DIR/db.txt" "$CC_DIR/groups.txt" "$REPLICAS" "$OUT" ||
        { echo "   (no result line; the load generator's last lines:)"; tail -5 "$CC_DIR/out.txt"; }
      if [ -n "$(cat "$CC_DIR"/r*.log)" ]; then
        echo "   replica log lines (warn and above): $(cat "$CC_DIR"/r*.log | wc -l); most common:"
        cat "$CC_DIR"/r*.log | cut -c1-200 | sed -E 's/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -3 | sed 's/^/     /'
      fi
      cc_cleanup
    }
    for config in ${CLUSTER_CHAT_CONFIGS:-30:30:10000:1 100:100:10000:100}; do
      IFS=: read -r users senders rate rooms <<<"$config"
      for rep in $(seq "$REPEATS"); do run_cluster "$users" "$senders" "$rate" "${rooms:-1}" "$rep"; done
    done
    ;;
  *)
    sed -n '/^set -euo pipefail/q; 2,$p' "$ROOT/bench/run.sh"
    exit 2
    ;;
esac
