#!/usr/bin/env bash
# Starts and stops the servers the tests need (PostgreSQL, Redis, NATS, RabbitMQ), each as a
# private instance under $SERVICES_DIR on its own port, never the system's default instance
# (PostgreSQL's and RabbitMQ's under /var/tmp when their users cannot enter $SERVICES_DIR: see
# service_dir).
# Idempotent: starting a running service does nothing.
#
#   scripts/services.sh start|stop|restart NAME...   NAME: postgres redis nats rabbitmq (or all)
#   scripts/services.sh env                           prints the URLs chatd and the tests use
#
# Settings (environment): SERVICES_DIR (default build/services), SERVICES_BIND (default
# 127.0.0.1; the cluster tests use their bridge address so replicas in network namespaces can
# reach the servers), PG_PORT 55432, REDIS_PORT 56379, NATS_PORT 54222, NATS_MONITOR_PORT 58222,
# AMQP_PORT 55672, RABBIT_DIST_PORT 55673, RABBIT_EPMD_PORT 55674.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${SERVICES_DIR:-$ROOT/build/services}"
BIND="${SERVICES_BIND:-127.0.0.1}"
PG_PORT="${PG_PORT:-55432}"
REDIS_PORT="${REDIS_PORT:-56379}"
NATS_PORT="${NATS_PORT:-54222}"
NATS_MONITOR_PORT="${NATS_MONITOR_PORT:-58222}"
AMQP_PORT="${AMQP_PORT:-55672}"
RABBIT_DIST_PORT="${RABBIT_DIST_PORT:-55673}"
RABBIT_EPMD_PORT="${RABBIT_EPMD_PORT:-55674}"
RABBIT_NODE="rabbit${AMQP_PORT}@localhost"

log() { echo "services: $*" >&2; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then log "$what did not become ready in ${limit}s"; return 1; fi
    sleep 0.1
  done
}

# ---- PostgreSQL ----
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
pg_ready() { "$PG_BIN/pg_isready" -q -h "$BIND" -p "$PG_PORT"; }
# PostgreSQL and RabbitMQ run as their own users (postgres, rabbitmq), which cannot enter a
# checkout under a private directory (`mktemp -d` makes it 0700). Their data then lives in a
# directory of its own under /var/tmp, named after $DIR so that start and stop find the same one.
as_user() { local user=$1; shift; (cd / && runuser -u "$user" -- "$@"); }
as_postgres() { as_user postgres "$@"; }
service_dir() {  # service_dir NAME USER: where NAME, run as USER, keeps its data
  mkdir -p "$DIR"
  if as_user "$2" test -x "$DIR"; then
    echo "$DIR/$1"
  else
    echo "/var/tmp/chatd-services-$(printf '%s' "$DIR" | md5sum | cut -c1-12)/$1"
  fi
}
pg_dir() { service_dir postgres postgres; }
start_postgres() {
  local d
  d="$(pg_dir)"
  if pg_ready; then return 0; fi
  mkdir -p "$d"
  chown postgres:postgres "$d"
  if [ ! -f "$d/data/PG_VERSION" ]; then
    as_postgres "$PG_BIN/initdb" -D "$d/data" -U postgres -A trust >"$d/initdb.log" 2>&1
    # The cluster tests connect from network namespaces through a bridge address.
    echo "host all all 0.0.0.0/0 trust" >>"$d/data/pg_hba.conf"
  fi
  as_postgres "$PG_BIN/pg_ctl" -D "$d/data" -w -l "$d/server.log" \
    -o "-c listen_addresses=$BIND -p $PG_PORT -k $d -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  wait_for 20 PostgreSQL pg_ready
}
stop_postgres() {
  local d
  d="$(pg_dir)"
  [ -f "$d/data/postmaster.pid" ] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null 2>&1 || true
}

# ---- Redis ----
redis_ready() { redis-cli -h "$BIND" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
start_redis() {
  local d="$DIR/redis"
  if redis_ready; then return 0; fi
  mkdir -p "$d"
  redis-server --bind "$BIND" --port "$REDIS_PORT" --protected-mode no --save "" --appendonly no \
    --daemonize yes --pidfile "$d/redis.pid" --logfile "$d/redis.log" --dir "$d"
  wait_for 10 Redis redis_ready
}
stop_redis() {
  redis-cli -h "$BIND" -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  local d="$DIR/redis"
  for _ in $(seq 50); do alive "$d/redis.pid" || return 0; sleep 0.1; done
}

# ---- NATS ----
nats_ready() { curl -sf "http://$BIND:$NATS_MONITOR_PORT/healthz"; }
start_nats() {
  local d="$DIR/nats"
  if alive "$d/nats.pid" && nats_ready; then return 0; fi
  mkdir -p "$d"
  setsid nats-server -a "$BIND" -p "$NATS_PORT" -m "$NATS_MONITOR_PORT" -P "$d/nats.pid" -l "$d/nats.log" \
    </dev/null >/dev/null 2>&1 &
  wait_for 10 NATS nats_ready
}
stop_nats() {
  local d="$DIR/nats"
  alive "$d/nats.pid" || return 0
  kill "$(cat "$d/nats.pid")"
  for _ in $(seq 50); do alive "$d/nats.pid" || return 0; sleep 0.1; done
}

# ---- RabbitMQ ----
rabbit_dir() { service_dir rabbitmq rabbitmq; }
rabbit_env() {
  local d
  d="$(rabbit_dir)"
  export RABBITMQ_NODENAME="$RABBIT_NODE" RABBITMQ_NODE_IP_ADDRESS="$BIND" RABBITMQ_NODE_PORT="$AMQP_PORT"
  export RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT" ERL_EPMD_PORT="$RABBIT_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" RABBITMQ_PID_FILE="$d/rabbit.pid"
  export RABBITMQ_CONFIG_FILE="$d/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins"
}
rabbit_ready() { rabbitmqctl -n "$RABBIT_NODE" -q status; }
start_rabbitmq() {
  local d
  d="$(rabbit_dir)"
  rabbit_env
  if alive "$d/rabbit.pid" && rabbit_ready; then return 0; fi
  mkdir -p "$d/mnesia" "$d/log"
  # guest may connect from the bridge address too (it is limited to loopback by default).
  printf 'loopback_users = none\nlisteners.tcp.default = %s:%s\n' "$BIND" "$AMQP_PORT" >"$d/rabbitmq.conf"
  echo '[].' >"$d/enabled_plugins"
  chown -R rabbitmq:rabbitmq "$d"
  # Under /var/tmp (see service_dir), the directory above it must let rabbitmq through.
  case "$d" in /var/tmp/chatd-services-*) chmod 755 "$(dirname "$d")" ;; esac
  setsid rabbitmq-server </dev/null >"$d/log/console.log" 2>&1 &
  wait_for 10 "RabbitMQ pid file" test -s "$d/rabbit.pid"
  rabbitmqctl -n "$RABBIT_NODE" -q wait --timeout 60 "$d/rabbit.pid" >/dev/null
}
stop_rabbitmq() {
  local d
  d="$(rabbit_dir)"
  rabbit_env
  alive "$d/rabbit.pid" || return 0
  rabbitmqctl -n "$RABBIT_NODE" -q stop "$d/rabbit.pid" >/dev/null 2>&1 || kill "$(cat "$d/rabbit.pid")" || true
  epmd -port "$RABBIT_EPMD_PORT" -kill >/dev/null 2>&1 || true
}

print_env() {
  echo "export TEST_DATABASE_URL=postgres://postgres@$BIND:$PG_PORT/postgres"
  echo "export TEST_REDIS_URL=redis://$BIND:$REDIS_PORT"
  echo "export TEST_NATS_URL=nats://$BIND:$NATS_PORT"
  echo "export TEST_AMQP_URL=amqp://guest:guest@$BIND:$AMQP_PORT/"
}

action="${1:-}"; shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ] || [ "${names[0]}" = all ]; then names=(postgres redis nats rabbitmq); fi
case "$action" in
  start) for n in "${names[@]}"; do log "starting $n"; "start_$n"; done ;;
  stop) for n in "${names[@]}"; do "stop_$n"; done ;;
  restart) for n in "${names[@]}"; do "stop_$n"; "start_$n"; done ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|restart|env [postgres redis nats rabbitmq]" >&2; exit 2 ;;
esac
