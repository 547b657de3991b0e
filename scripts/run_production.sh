#!/usr/bin/env bash
# The production profile on one machine (docs/PRODUCTION.md): the back end on PostgreSQL,
# RASA_REPLICAS Rasa servers sharing the PostgreSQL tracker store and the Redis lock store,
# ACTIONS_REPLICAS stateless action servers, and a load balancer in front of each group; the
# channels' state in Redis too (REDIS_URL), and one outage-notice job when WeChat is configured.
# Every port, address and credential comes from the environment; each process is restarted when
# it exits; Ctrl-C (or SIGTERM) stops all.
#
#   customers/channels -> :RASA_PORT balancer -> Rasa replicas (RASA_REPLICA_PORTS)
#   Rasa replicas -> :ACTIONS_PORT balancer -> action servers (ACTIONS_REPLICA_PORTS) -> back end
set -euo pipefail
cd "$(dirname "$0")/.."

# --- configuration (all overridable) -------------------------------------------------------
export RASA_PORT="${RASA_PORT:-5005}"            # the balancer customers and channels talk to
export ACTIONS_PORT="${ACTIONS_PORT:-5055}"      # the balancer the Rasa replicas call
export BACKEND_PORT="${BACKEND_PORT:-5080}"
RASA_REPLICAS="${RASA_REPLICAS:-2}"
ACTIONS_REPLICAS="${ACTIONS_REPLICAS:-2}"
# Replica ports: an explicit list, or consecutive ports after RASA_PORT+100 / ACTIONS_PORT+100.
RASA_REPLICA_PORTS="${RASA_REPLICA_PORTS:-$(seq -s ' ' $((RASA_PORT + 100)) $((RASA_PORT + 99 + RASA_REPLICAS)))}"
ACTIONS_REPLICA_PORTS="${ACTIONS_REPLICA_PORTS:-$(seq -s ' ' $((ACTIONS_PORT + 100)) $((ACTIONS_PORT + 99 + ACTIONS_REPLICAS)))}"

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export BACKEND_DB_URL="${BACKEND_DB_URL:-postgresql+asyncpg://$PGUSER${PGPASSWORD:+:$PGPASSWORD}@$PGHOST:$PGPORT/szgd_backend}"
export TRACKER_DB_HOST="${TRACKER_DB_HOST:-$PGHOST}" TRACKER_DB_PORT="${TRACKER_DB_PORT:-$PGPORT}"
export TRACKER_DB_NAME="${TRACKER_DB_NAME:-szgd_tracker}" TRACKER_DB_USER="${TRACKER_DB_USER:-$PGUSER}"
export TRACKER_DB_PASSWORD="${TRACKER_DB_PASSWORD:-${PGPASSWORD:-}}"
export TRACKER_DB_LOGIN_DB="${TRACKER_DB_LOGIN_DB:-postgres}"
export LOCK_STORE_HOST="${LOCK_STORE_HOST:-127.0.0.1}" LOCK_STORE_PORT="${LOCK_STORE_PORT:-6379}"
export LOCK_STORE_DB="${LOCK_STORE_DB:-1}" LOCK_STORE_PASSWORD="${LOCK_STORE_PASSWORD:-}"
export LOCK_STORE_PREFIX="${LOCK_STORE_PREFIX:-szgd}"
# This profile: scripts/env.sh and the connectors check what it needs (REDIS_URL, HOTLINE_TOKEN).
export ASSISTANT_PROFILE=production
# Channel state shared by the Rasa replicas (connectors/kvstore.py): the lock store's Redis, its
# own database. REDIS_KEY_PREFIX (default `assistant:`) lets deployments share that database.
export CHANNEL_STORE_DB="${CHANNEL_STORE_DB:-2}"
export REDIS_URL="${REDIS_URL:-redis://${LOCK_STORE_PASSWORD:+:$LOCK_STORE_PASSWORD@}$LOCK_STORE_HOST:$LOCK_STORE_PORT/$CHANNEL_STORE_DB}"
export RASA_ENDPOINTS="${RASA_ENDPOINTS:-bot/endpoints.production.yml}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:$ACTIONS_PORT/webhook}"
RASA_MODEL="${RASA_MODEL:-models/assistant.tar.gz}"
# Replicas listen only where the balancers can reach them (loopback on one machine); the balancers
# listen on BALANCER_HOST (0.0.0.0 to serve channels from other machines, behind a firewall/TLS).
REPLICA_HOST="${REPLICA_HOST:-127.0.0.1}"
BALANCER_HOST="${BALANCER_HOST:-127.0.0.1}"
# The actions balancer serves only the Rasa replicas: loopback unless set on its own (moving the
# channels' balancer to a public address must not expose the action servers).
ACTIONS_BALANCER_HOST="${ACTIONS_BALANCER_HOST:-127.0.0.1}"
LOG_DIR="${PRODUCTION_LOG_DIR:-var/production/logs}"
READY_SECONDS="${READY_SECONDS:-300}"
NOTICES_INTERVAL="${NOTICES_INTERVAL:-300}"   # seconds between passes of the outage-notice job
export NOTICES_JOURNAL="${NOTICES_JOURNAL:-$(dirname "$LOG_DIR")/notices_journal.jsonl}"

# token_from_file VAR FILE: VAR as given, or else a random token kept in FILE (only this user can
# read it; made once, so it stays the same across restarts). Never printed.
token_from_file() {
  local name=$1 file=$2
  if [ -z "${!name:-}" ]; then
    [ -s "$file" ] || (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' >"$file")
    printf -v "$name" '%s' "$(cat "$file")"
    echo "$name not set: using the token in $file"
  fi
  export "${name?}"
}
mkdir -p "$LOG_DIR"
# The parts' secrets (RASA_API_TOKEN, ACTION_SERVER_TOKEN, BACKEND_SERVICE_TOKEN): scripts/env.sh
# takes them from the environment or generates them once into this profile's own folder.
export SECRETS_DIR="${SECRETS_DIR:-$(dirname "$LOG_DIR")/secrets}"
# The hotline webhook too: give the gateway this token (Authorization: Bearer <token>). Without
# one, anyone who reaches the balancer could speak for any call.
token_from_file HOTLINE_TOKEN "$(dirname "$LOG_DIR")/hotline_token"
source scripts/env.sh   # fills anything still unset (PYTHONPATH, secrets, ...)

# --- processes ------------------------------------------------------------------------------
pids=()
stop_all() {
  trap - INT TERM EXIT
  echo "Stopping the production profile..."
  # The supervised processes, and any other child still running (a readiness check, say).
  for pid in "${pids[@]}" $(jobs -p); do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Whatever is left of this process group (a replica between restarts, say).
  if [ "$(ps -o pgid= $$ | tr -d ' ')" = "$$" ]; then kill -TERM -- -$$ 2>/dev/null || true; fi
  echo "All processes stopped."
}
trap stop_all INT TERM HUP EXIT

# STOP_WITH_PID: stop everything when that process ends, even by SIGKILL (the tests set it to
# pytest's pid, so a killed test run leaves nothing running).
if [ -n "${STOP_WITH_PID:-}" ]; then
  ( while kill -0 "$STOP_WITH_PID" 2>/dev/null; do sleep 1; done; kill -TERM $$ ) &
  pids+=($!)
fi

# supervise LOG COMMAND...: run COMMAND in the background and start it again whenever it exits,
# as systemd or Kubernetes would: a crashed replica comes back by itself (the others and the
# balancer carry its traffic meanwhile). SIGTERM stops the command and the loop.
supervise() {
  local log=$1; shift
  : >"$log"
  (
    child=""
    trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
    while true; do
      "$@" >>"$log" 2>&1 & child=$!
      wait "$child" || true
      echo "$(date -Is) process exited; restarting in 2 s" >>"$log"
      sleep 2
    done
  ) & pids+=($!)
}

.venv/bin/python -m knowledge.validate
# Database first, once: creating it and migrating in one place keeps replicas from racing.
.venv/bin/python -m backend.db_admin create-database
.venv/bin/python -m backend.db_admin migrate

supervise "$LOG_DIR/backend.log" .venv/bin/python -m backend
# Conversations older than RETENTION_DAYS deleted from the tracker store, once a day.
supervise "$LOG_DIR/retention.log" .venv/bin/python -m bot.retention --interval "${RETENTION_INTERVAL:-86400}"

# Outage notices to WeChat subscribers (connectors/notices.py): ONE job for the whole deployment,
# never one per replica or per machine. The back end lists a notice as pending until the job
# confirms it, and what the job has already started sending is in its own journal (a local
# file): a second job would fetch the same pending notices and send every one of them again.
if [ -n "$WECHAT_APPID" ] && [ -n "$WECHAT_APPSECRET" ]; then
  supervise "$LOG_DIR/notices.log" .venv/bin/python -m connectors.notices --interval "$NOTICES_INTERVAL"
  notices_status="every ${NOTICES_INTERVAL}s, one job (journal $NOTICES_JOURNAL)"
else
  notices_status="not started: set WECHAT_APPID and WECHAT_APPSECRET to deliver them"
fi

action_upstreams=()
for port in $ACTIONS_REPLICA_PORTS; do
  SANIC_HOST="$REPLICA_HOST" supervise "$LOG_DIR/actions-$port.log" .venv/bin/python -m security.action_server --actions actions --port "$port"
  action_upstreams+=(--upstream "http://$REPLICA_HOST:$port")
done
supervise "$LOG_DIR/balancer-actions.log" .venv/bin/python scripts/balancer.py --host "$ACTIONS_BALANCER_HOST" --port "$ACTIONS_PORT" --actions-fallback \
  "${action_upstreams[@]}"

rasa_upstreams=()
for port in $RASA_REPLICA_PORTS; do
  # The token reaches Rasa through the environment (security/rasa_server.py), never argv.
  supervise "$LOG_DIR/rasa-$port.log" .venv/bin/python -m security.rasa_server --model "$RASA_MODEL" \
    --interface "$REPLICA_HOST" --port "$port" --endpoints "$RASA_ENDPOINTS" --credentials "$RASA_CREDENTIALS"
  rasa_upstreams+=(--upstream "http://$REPLICA_HOST:$port")
done
supervise "$LOG_DIR/balancer-rasa.log" .venv/bin/python scripts/balancer.py --host "$BALANCER_HOST" --port "$RASA_PORT" "${rasa_upstreams[@]}"

# In the background and awaited: bash runs a trap (Ctrl-C, STOP_WITH_PID) only between commands,
# and `wait` is one it interrupts, where a foreground wait_ready.sh would hold it for minutes.
ready() { scripts/wait_ready.sh "$@" & wait $!; }
ready "http://127.0.0.1:$BACKEND_PORT/api/v1/health" "back end" 60
for port in $ACTIONS_REPLICA_PORTS; do
  ready "http://$REPLICA_HOST:$port/health" "action server :$port" 120
done
for port in $RASA_REPLICA_PORTS; do
  ready "http://$REPLICA_HOST:$port/" "Rasa server :$port" "$READY_SECONDS"
done
ready "http://127.0.0.1:$RASA_PORT/__balancer/health" "Rasa balancer" 30
ready "http://127.0.0.1:$ACTIONS_PORT/__balancer/health" "actions balancer" 30

cat <<EOM
PRODUCTION PROFILE READY (logs in $LOG_DIR/)
  Channels/REST:  http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook   (balanced over: $RASA_REPLICA_PORTS)
  Action servers: http://127.0.0.1:$ACTIONS_PORT/webhook              (balanced over: $ACTIONS_REPLICA_PORTS)
  Back end:       http://127.0.0.1:$BACKEND_PORT/api/v1/health         (PostgreSQL)
  Tracker store:  PostgreSQL $TRACKER_DB_HOST:$TRACKER_DB_PORT/$TRACKER_DB_NAME;  lock store: Redis $LOCK_STORE_HOST:$LOCK_STORE_PORT/$LOCK_STORE_DB
  Channel state:  Redis (REDIS_URL, database $CHANNEL_STORE_DB unless REDIS_URL says otherwise)
  Outage notices: $notices_status
Press Ctrl-C to stop everything.
EOM
wait
