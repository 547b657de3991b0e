# Two commands do everything: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
RASA      := $(VENV)/bin/rasa
STAMP     := $(VENV)/.installed
MODEL     := models/assistant.tar.gz
# A Python 3.10 interpreter: the first candidate that really is 3.10 (pyenv shims may exist but refuse).
PYTHON310 ?= $(shell for p in python3.10 /root/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
                 $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1 && { echo $$p; break; }; done)

export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONHASHSEED := 0

# Everything the trained model depends on: a change to any of them retrains.
MODEL_INPUTS := config.yml $(shell find bot data knowledge -type f \( -name '*.yml' -o -name '*.yaml' -o -name '*.py' -o -name '*.txt' \) 2>/dev/null)

.PHONY: retention help browser install run test unit validate train story-test lock clean dictionary test-production test-prod run-production bench bench-train eval

help:
	@echo "make run    install, train when needed, start back end + action server + Rasa, print addresses"
	@echo "make test   install, unit tests, data validation, train when needed, conversation tests, production profile"
	@echo "make test-production  the production profile for real: PostgreSQL, Redis, 2+2 replicas (docs/PRODUCTION.md)"
	@echo "make run-production   start the production profile on this machine (docs/PRODUCTION.md)"
	@echo "make eval   NLU quality on the held-out set (tests/nlu_eval), three systems side by side"
	@echo "make eval REAL=path.tsv  the same plus a TSV of real customer messages (README, \"Real customers\")"
	@echo "make bench  latency, throughput, memory (benchmarks/README.md)"

$(STAMP): requirements.lock constraints.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (set PYTHON310=/path/to/python3.10)"; exit 1; }
	@test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<25" wheel
	# One resolver run over the full pinned set, with Rasa's pins as constraints.
	$(PY) -m pip install --quiet -r requirements.lock -c constraints.txt
	$(PY) -m pip check
	touch $(STAMP)

install: $(STAMP)

lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable > requirements.lock

dictionary: $(STAMP)
	$(PY) -m knowledge.build_dictionary

$(MODEL): $(STAMP) $(MODEL_INPUTS)
	$(PY) -m knowledge.validate
	$(RASA) train --config config.yml --domain bot/domain --data data --out models \
	    --fixed-model-name assistant --num-threads 2

train: $(MODEL)

run: $(MODEL)
	@bash scripts/run_all.sh

# Debian's Chromium for the kiosk page's browser test (tests/kiosk), installed when missing.
# Without root/sudo or apt it only warns: the test then skips (and fails when CI is set).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo -n"; \
	  { $$sudo apt-get update -qq && $$sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver; } \
	  || echo "make browser: could not install chromium; the kiosk browser test will be skipped"; }

unit: $(STAMP) browser
	$(PY) -m pytest -q tests --ignore=tests/e2e --ignore=tests/production --ignore=tests/security/stack

validate: $(STAMP)
	bash scripts/validate_data.sh

story-test: $(MODEL)
	bash scripts/story_test.sh

# Starts real processes against the local PostgreSQL and Redis (skipped when unreachable,
# failing when CI is set). 3-6 minutes on 2 cores, most of it loading the model.
test-production: $(MODEL)
	BACKEND_TEST_POSTGRES_URL=$${BACKEND_TEST_POSTGRES_URL:-postgresql+asyncpg://$${PGUSER:-postgres}@$${PGHOST:-127.0.0.1}:$${PGPORT:-5432}/postgres} \
	    $(PY) -m pytest -q tests/production tests/security/stack/test_production.py tests/backend/test_postgres.py \
	    tests/backend/test_one_time_codes.py::test_racing_requests_on_postgres

test-prod: test-production

run-production: $(MODEL)
	@bash scripts/run_production.sh

# The production profile's tests skip themselves when PostgreSQL or Redis is unreachable
# (and fail instead when CI is set).
test: unit validate story-test test-production
	@echo "make test: all parts passed"

# Speed and footprint (benchmarks/README.md): print figures, exit non-zero only when they could not
# run. Held under /tmp/train.lock so no training disturbs the measurement.
BENCH_CONVERSATIONS ?= 1000
bench: $(STAMP)
	@test -f $(MODEL) || flock /tmp/train.lock $(MAKE) train
	flock /tmp/train.lock $(PY) -m benchmarks.bench --soak-conversations $(BENCH_CONVERSATIONS)

# NLU quality on the held-out set (tests/nlu_eval): ours, plain Rasa + JiebaTokenizer, TF-IDF baseline.
# Prints the figures and writes results/nlu_eval/ (report.md, report.json, confusion_matrix.png).
# `make eval REAL=path.tsv` also scores real customer messages (accepted<TAB>text<TAB>source), checks
# the training data for overlaps with them and sends them through the stack (real_*.md/.png/.tsv).
# EVAL_ARGS passes more options, e.g. EVAL_ARGS="--no-replies --skip-plain".
eval: $(MODEL)
	flock /tmp/train.lock $(PY) -m benchmarks.nlu_eval $(if $(REAL),--real "$(REAL)") $(EVAL_ARGS)

bench-train: $(STAMP)
	flock /tmp/train.lock bash benchmarks/train.sh

# Conversations older than RETENTION_DAYS (default 180) deleted from the tracker store
# (bot/retention.py); the production profile runs the same job daily.
retention: $(STAMP)
	$(PY) -m bot.retention

clean:
	rm -rf models results var/*.db .rasa
