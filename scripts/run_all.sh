#!/usr/bin/env bash
# Starts the back end, the action server and the Rasa server; prints where to talk to them;
# stops all three cleanly on Ctrl-C. Called by `make run` after install and training.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

mkdir -p var/logs
pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "Stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "All processes stopped."
}
trap stop_all INT TERM EXIT

.venv/bin/python -m knowledge.validate

.venv/bin/python -m backend >var/logs/backend.log 2>&1 & pids+=($!)
# The action server and Rasa through security/: secrets from the environment, loopback by default.
.venv/bin/python -m security.action_server --actions actions --port "$ACTIONS_PORT" >var/logs/actions.log 2>&1 & pids+=($!)
.venv/bin/python -m security.rasa_server --model models/assistant.tar.gz --port "$RASA_PORT" \
  --endpoints "$RASA_ENDPOINTS" --credentials "$RASA_CREDENTIALS" >var/logs/rasa.log 2>&1 & pids+=($!)

scripts/wait_ready.sh "http://127.0.0.1:$BACKEND_PORT/api/v1/health" "back end" 60
scripts/wait_ready.sh "http://127.0.0.1:$ACTIONS_PORT/health" "action server" 120
# Rasa's "/" answers without the token once the model is loaded (it loads before listening).
scripts/wait_ready.sh "http://127.0.0.1:$RASA_PORT/" "Rasa server" 240

cat <<EOM

The assistant is running (logs in var/logs/). Talk to it:
  REST:        curl -s -XPOST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' -d '{"sender":"me","message":"你好"}'
  HTTP API:    http://127.0.0.1:$RASA_PORT/model/parse?token=$RASA_API_TOKEN   (POST {"text": "..."})
               the token is in $SECRETS_DIR/rasa_api_token (shown here only, never logged)
  Kiosk page:  http://127.0.0.1:$RASA_PORT/webhooks/kiosk/   (WeChat, hotline: docs/CHANNELS.md)
  Back end:    http://127.0.0.1:$BACKEND_PORT/api/v1/openapi.json
  Actions:     http://127.0.0.1:$ACTIONS_PORT/health
Press Ctrl-C to stop everything.
EOM
wait -n "${pids[@]}" || true
echo "A process exited; see var/logs/."
