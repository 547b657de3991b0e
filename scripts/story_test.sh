#!/usr/bin/env bash
# Conversation tests: Rasa test stories (dialogue predictions), then the end-to-end suite that
# starts the back end, action server and Rasa on spare ports and talks to them over HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

.venv/bin/rasa test core --model models/assistant.tar.gz --stories tests/conversations \
  --fail-on-prediction-errors --out results/core --no-plot
# The embedded profile's security suite shares the e2e suite's running stack (tests/conftest.py).
.venv/bin/python -m pytest -q tests/e2e tests/security/stack/test_embedded.py -p no:randomly
