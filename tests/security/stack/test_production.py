"""The "secure by default" exploits against the production profile (scripts/run_production.sh:
balancers, 2 Rasa and 2 action-server replicas, PostgreSQL, Redis), and its clean-up when the
process that started it is killed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.security.stack.exploits import (
    FORGED_TRACKER, failed_verification, http, listening_addresses, new_sender, post, process_arguments,
    random_account, say, tracker,
)

ROOT = Path(__file__).resolve().parents[3]


def test_every_listener_is_on_loopback(production):
    ports = [*production.ports.values(), *production.rasa_replica_ports, *production.actions_replica_ports]
    for port in ports:
        addresses = listening_addresses(port)
        assert addresses and set(addresses) <= {"127.0.0.1"}, (port, addresses)


def test_the_http_api_needs_the_token_through_the_balancer_and_on_each_replica(production):
    sender = new_sender()
    say(production.url, sender, "你好")
    for url in [production.url, *production.replica_urls]:
        assert http("GET", f"{url}/conversations/{sender}/tracker")[0] == 401
        assert http("GET", f"{url}/conversations/{sender}/tracker?token=wrong")[0] == 401
    assert tracker(production.url, sender, production.token)["sender_id"] == sender


def test_action_servers_refuse_calls_without_the_secret(production):
    for port in [production.ports["actions"], *production.actions_replica_ports]:
        status, body = post(f"http://127.0.0.1:{port}/webhook", FORGED_TRACKER)
        assert status == 401 and "13800001234" not in json.dumps(body, ensure_ascii=False), (port, body)


def test_back_end_refuses_calls_without_its_credential(production):
    status, body = http("GET", f"{production.backend_url}/api/v1/accounts/0300000001")
    assert status == 401 and "138" not in body


def test_the_back_off_is_shared_by_the_replicas(production):
    # Fresh conversations from one address, alternating Rasa replicas (and so action servers).
    texts = [failed_verification(production.replica_urls[n % 2], new_sender(), random_account(n)) for n in range(7)]
    assert "后再试" in texts[-1], texts


def test_no_secret_is_in_any_process_list(production):
    arguments = process_arguments()
    for value in (production.token, production.hotline_token, os.environ["ACTION_SERVER_TOKEN"],
                  os.environ["BACKEND_SERVICE_TOKEN"]):
        assert value not in arguments


def test_a_killed_test_run_leaves_nothing_running(tmp_path):
    """run_production.sh with STOP_WITH_PID: when that process dies (SIGKILL, no clean-up of its
    own), the script stops every process it started."""
    from tests.production.conftest import ProductionProfile, require_model, require_services

    require_services()
    require_model()
    profile = ProductionProfile(tmp_path)
    parent = subprocess.Popen(["sleep", "600"])
    log = open(tmp_path / "killed.log", "wb")
    script = subprocess.Popen(["bash", "scripts/run_production.sh"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              env={**profile.env, "STOP_WITH_PID": str(parent.pid)}, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not listening_addresses(profile.ports["backend"]):
            assert script.poll() is None, (tmp_path / "killed.log").read_text(errors="replace")[-2000:]
            time.sleep(0.5)
        assert listening_addresses(profile.ports["backend"]), "the back end never started"
        parent.kill()
        parent.wait()
        script.wait(timeout=60)
        deadline = time.monotonic() + 30
        group = "x"
        while time.monotonic() < deadline:
            group = subprocess.run(["pgrep", "-g", str(script.pid)], capture_output=True, text=True).stdout.strip()
            if not group:
                break
            time.sleep(0.5)
        assert not group, f"still running: {group}"
        assert not listening_addresses(profile.ports["backend"])
    finally:
        parent.kill()
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
        subprocess.run(["pkill", "-KILL", "-g", str(script.pid)], capture_output=True)
        profile.drop_state()
