"""Faults in the running production profile: a process dies (SIGKILL, as in a crash), the customer
gets a polite answer with the hotline, nothing is created twice or half, and the service comes
back by itself (run_production.sh restarts what exits; the balancers route around it).

Slow and failing (500) back ends are covered with the in-process back-end fixtures
(tests/actions, backend_trouble); the database going away is in test_database_outage.py.
"""
from __future__ import annotations

import os
import signal
import time
import uuid

from knowledge import load_knowledge
from tests.conftest import orders_for_phone_sync
from tests.production.conftest import answers, http, listener_pid, texts, wait_until
from tests.production.load import script


def hotline() -> str:
    return str(load_knowledge().region().value("service.hotlines.power_service")["number"])


def kill(port: int) -> None:
    """SIGKILL the process listening on port, and wait until it is gone: until it has exited, the
    kernel still completes handshakes on its listening socket, so a request sent at once would
    be accepted and then reset (a reached replica, which the balancer rightly never retries)."""
    pid = listener_pid(port)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return  # exited; its parent has yet to reap it
        except FileNotFoundError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} on :{port} still alive 30 s after SIGKILL")


def say_retrying_once(production, sender: str, text: str):
    status, body = http("POST", f"{production.url}/webhooks/rest/webhook", {"sender": sender, "message": text})
    if status == 502:
        time.sleep(1)
        return production.say(sender, text)
    assert status == 200, (status, body)
    return body


def fill_form(production, sender: str, number: int) -> str:
    for text in script(number):
        reply = texts(production.say(sender, text))
    return reply


def test_all_action_servers_down_gives_the_hotline_then_service_resumes(production):
    sender = f"prod-actdown-{uuid.uuid4().hex[:8]}"
    for port in production.actions_replica_ports:
        kill(port)
    reply = texts(production.say(sender, "我要申请充电桩"))
    assert hotline() in reply and "抱歉" in reply, reply
    assert "Traceback" not in reply and "Error" not in reply

    for port in production.actions_replica_ports:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/health"), 120, f"action server :{port} back")
    reply = texts(production.say(sender, "我要申请充电桩"))
    assert "车位" in reply, reply  # the form started: custom actions work again


def test_a_killed_rasa_replica_is_routed_around_and_comes_back(production):
    sender = f"prod-rasadown-{uuid.uuid4().hex[:8]}"
    steps = script(11)
    for text in steps[:3]:
        production.say(sender, text)
    victim = production.rasa_replica_ports[0]
    kill(victim)
    # The first turn after the crash may still reach the dying replica's socket (502: the balancer
    # never repeats a request a replica received); the customer's channel retries it once.
    reply = texts(say_retrying_once(production, sender, steps[3]))
    for text in steps[4:]:  # every later turn through the balancer answered, state intact
        reply = texts(production.say(sender, text))
    assert "科苑路11号" in reply and "186****0011" in reply, reply
    status_url = f"http://127.0.0.1:{victim}/status?token={production.token}"
    wait_until(lambda: answers(status_url), 420, f"Rasa replica :{victim} back")
    assert production.tracker(sender, via=f"http://127.0.0.1:{victim}")["active_loop"]["name"] == "charging_pile_form"


def test_back_end_down_at_submission_then_one_order_after_resubmitting(production):
    sender = f"prod-bedown-{uuid.uuid4().hex[:8]}"
    number = 12
    fill_form(production, sender, number)
    kill(production.ports["backend"])
    reply = texts(production.say(sender, "确认提交"))
    assert hotline() in reply and "受理编号" not in reply, reply

    wait_until(lambda: answers(f"{production.backend_url}/api/v1/health"), 60, "back end back")
    phone = script(number)[-1]
    before = orders_for_phone_sync(production.backend_url, phone)
    assert before == []  # nothing half-created during the outage

    production.say(sender, '/charging_pile{"aspect": "apply"}')  # the "重新提交" button
    reply = texts(production.say(sender, "确认提交"))
    assert "受理编号" in reply, reply
    # Submitting the same answers again finds the same order instead of making another.
    fill_form(production, sender, number)
    texts(production.say(sender, "确认提交"))
    after = orders_for_phone_sync(production.backend_url, phone)
    assert len(after) == 1, after
