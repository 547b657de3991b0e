# Shared environment of the run and test scripts. Every port and path can be overridden.
export PYTHONPATH="${PYTHONPATH:-$PWD}"
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_PORT="${RASA_PORT:-5005}"
export ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export BACKEND_PORT="${BACKEND_PORT:-5080}"
export BACKEND_URL="${BACKEND_URL:-http://127.0.0.1:$BACKEND_PORT}"
export BACKEND_DB_URL="${BACKEND_DB_URL:-sqlite+aiosqlite:///var/backend.db}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:$ACTIONS_PORT/webhook}"
export TRACKER_DB_PATH="${TRACKER_DB_PATH:-var/tracker.db}"
export RASA_ENDPOINTS="${RASA_ENDPOINTS:-bot/endpoints.yml}"
export RASA_CREDENTIALS="${RASA_CREDENTIALS:-bot/credentials.yml}"
# The parts' shared secrets (security/service_secrets.py): the Rasa HTTP API token, Rasa -> action
# server, action server -> back end. Each is the variable as given (or NAME_FILE, a file holding
# it); else a random one generated once into $SECRETS_DIR (mode 600, so it survives restarts). They
# reach the processes through the environment only: never argv (`ps` shows argv to every user),
# never a log, never printed.
SECRETS_DIR="${SECRETS_DIR:-var/secrets}"
ensure_secret() {
  local name=$1 file_var="${1}_FILE" file
  if [ -z "${!name:-}" ] && [ -z "${!file_var:-}" ]; then
    file="$SECRETS_DIR/$(tr '[:upper:]' '[:lower:]' <<<"$name")"
    if [ ! -s "$file" ]; then
      (umask 077 && mkdir -p "$SECRETS_DIR" && head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$file")
    fi
    printf -v "$name" '%s' "$(cat "$file")"
  fi
  export "${name?}"
}
for _secret in RASA_API_TOKEN ACTION_SERVER_TOKEN BACKEND_SERVICE_TOKEN; do ensure_secret "$_secret"; done
unset _secret
# Every process listens on loopback unless told otherwise (RASA_HOST, ACTIONS_HOST, BACKEND_HOST).
export RASA_HOST="${RASA_HOST:-127.0.0.1}" BACKEND_HOST="${BACKEND_HOST:-127.0.0.1}"
export SANIC_HOST="${ACTIONS_HOST:-127.0.0.1}"
# Conversations are kept RETENTION_DAYS (default 180), then deleted (`make retention`, bot/retention.py).
export RETENTION_DAYS="${RETENTION_DAYS:-180}"
# Channel secrets referenced by bot/credentials.yml (docs/CHANNELS.md). Rasa refuses to start when
# one is unset, so each gets an empty default: an unconfigured WeChat channel answers 503, and the
# hotline without HOTLINE_TOKEN answers only callers on this machine (embedded profile only).
for _var in WECHAT_TOKEN WECHAT_APPID WECHAT_APPSECRET WECHAT_ENCODING_AES_KEY \
            WECHAT_MP_TOKEN WECHAT_MP_APPID WECHAT_MP_APPSECRET WECHAT_MP_ENCODING_AES_KEY HOTLINE_TOKEN; do
  export "$_var=${!_var:-}"
done
unset _var

# Profile: `embedded` (make run: one process of each kind) unless the caller chose `production`
# (scripts/run_production.sh exports ASSISTANT_PROFILE=production before sourcing this file;
# deploy/docker-compose.yml sets it in the containers). The Python side reads the same variable:
# connectors/kvstore.py and connectors/hotline.py refuse to start without what is checked here.
export ASSISTANT_PROFILE="${ASSISTANT_PROFILE:-embedded}"
if [ "$ASSISTANT_PROFILE" = production ]; then
  # Several Rasa processes: channel state (retry de-duplication, offered buttons, hotline call
  # state, the WeChat access token) must be shared, or a retry that lands on the other replica is
  # answered twice and a call's state is lost when its next turn does. The lock store's Redis by
  # default, in a database of its own.
  export CHANNEL_STORE_DB="${CHANNEL_STORE_DB:-2}"
  export REDIS_URL="${REDIS_URL:-redis://${LOCK_STORE_PASSWORD:+:$LOCK_STORE_PASSWORD@}${LOCK_STORE_HOST:-127.0.0.1}:${LOCK_STORE_PORT:-6379}/$CHANNEL_STORE_DB}"
  # Behind a balancer every request arrives from loopback: the hotline needs its token here.
  if [ -z "$HOTLINE_TOKEN" ]; then
    echo "The production profile needs HOTLINE_TOKEN (the hotline gateway's bearer token)." >&2
    return 1
  fi
fi
