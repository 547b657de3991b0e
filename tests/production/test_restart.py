"""A restart of every process of the production profile (all Rasa replicas, action servers,
balancers and the back end) loses no conversation and no work order: conversations live in the
PostgreSQL tracker store, orders in the back end's PostgreSQL database.

Runs last in this directory (file order), as it restarts the shared profile."""
from __future__ import annotations

import re
import uuid

from tests.production.conftest import http, texts
from tests.production.load import script
from tests.conftest import SERVICE_HEADERS


def test_restart_of_every_process_loses_nothing(production):
    mid_form = f"prod-restart-form-{uuid.uuid4().hex[:8]}"
    steps = script(21)
    for text in steps[:5]:
        production.say(mid_form, text)
    done = f"prod-restart-done-{uuid.uuid4().hex[:8]}"
    for text in script(22):
        production.say(done, text)
    order_no = re.search(r"受理编号：(\w+)", texts(production.say(done, "确认提交"))).group(1)
    slots_before = production.tracker(mid_form)["slots"]

    production.restart()

    tracker = production.tracker(mid_form)
    assert tracker["active_loop"]["name"] == "charging_pile_form"
    assert tracker["slots"] == slots_before
    for text in steps[5:]:
        reply = texts(production.say(mid_form, text))
    assert "科苑路21号" in reply and "186****0021" in reply, reply  # answers from before the restart

    status, order = http("GET", f"{production.backend_url}/api/v1/work-orders/{order_no}", headers=SERVICE_HEADERS)
    assert status == 200 and order["order_no"] == order_no
    users = [e["text"] for e in production.tracker(done)["events"] if e["event"] == "user"]
    assert users[-1] == "确认提交" and len(users) == len(script(22)) + 1
