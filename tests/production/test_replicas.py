"""Several Rasa replicas serve one conversation: shared PostgreSQL tracker store, Redis lock store,
stateless action servers behind a balancer (scripts/run_production.sh, started by the fixture)."""
from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.production.conftest import http, texts
from tests.production.load import script
from tests.conftest import SERVICE_HEADERS


def new_sender(label: str) -> str:
    return f"prod-{label}-{uuid.uuid4().hex[:8]}"


def slots(tracker) -> dict:
    return tracker["slots"]


def test_alternating_replicas_keep_slots_and_form_state(production):
    sender = new_sender("alt")
    a, b = production.replica_urls
    steps = script(7)  # the 充电桩报装 form, number 7 in the address and phone
    for turn, text in enumerate(steps[:4]):
        assert texts(production.say(sender, text, via=(a, b)[turn % 2])), text

    # Half-way through the form: both replicas see the same state.
    tracker_a, tracker_b = production.tracker(sender, via=a), production.tracker(sender, via=b)
    assert tracker_a["active_loop"]["name"] == "charging_pile_form"
    assert slots(tracker_a) == slots(tracker_b)
    assert slots(tracker_a)["charging_pile_space_ownership"] == "owned"
    assert slots(tracker_a)["requested_slot"] == "charging_pile_address"

    for turn, text in enumerate(steps[4:], start=4):
        reply = texts(production.say(sender, text, via=(a, b)[turn % 2]))
    assert "科苑路7号" in reply and "186****0007" in reply  # the read-back summary, all slots kept
    reply = texts(production.say(sender, "确认提交", via=b))
    order_no = re.search(r"受理编号：(\w+)", reply).group(1)

    # The order is in the back end's PostgreSQL database, exactly once.
    status, order = http("GET", f"{production.backend_url}/api/v1/work-orders/{order_no}", headers=SERVICE_HEADERS)
    assert status == 200 and order["type"] == "charging_pile"


def test_concurrent_messages_of_one_conversation_are_processed_in_turn(production):
    """Both replicas receive messages of one conversation at the same moment: the Redis lock
    store makes them take turns, so every message is answered and recorded, none interleaved."""
    sender = new_sender("burst")
    production.say(sender, "你好")
    messages = [f"电费怎么算{n}" for n in range(8)]
    with ThreadPoolExecutor(max_workers=len(messages)) as pool:
        replies = list(pool.map(
            lambda item: production.say(sender, item[1], via=production.replica_urls[item[0] % 2]),
            enumerate(messages),
        ))
    assert all(texts(reply) for reply in replies), "a message got no reply"

    events = production.tracker(sender)["events"]
    users = [event["text"] for event in events if event["event"] == "user"]
    assert sorted(users[1:]) == sorted(messages), "a message was lost or recorded twice"
    # In turn: after each user message its bot turn ends (action_listen) before the next starts.
    in_turn = None
    for event in events:
        if event["event"] == "user":
            assert in_turn in (None, False), "two messages were processed at the same time"
            in_turn = True
        elif event["event"] == "action" and event["name"] == "action_listen":
            in_turn = False


def test_http_api_needs_the_token(production):
    sender = new_sender("token")
    production.say(sender, "你好")
    status, _ = http("GET", f"{production.url}/conversations/{sender}/tracker")
    assert status == 401
    status, _ = http("GET", f"{production.url}/conversations/{sender}/tracker?token=wrong")
    assert status == 401
    assert production.tracker(sender)["sender_id"] == sender


def test_customer_numbers_are_masked_in_every_log(production):
    sender = new_sender("mask")
    phone, account = "13912340000", "0300000001"
    production.say(sender, f"我的户号是{account}，手机{phone}")
    production.say(sender, f"查一下{account}的电费")
    logs = {path.name: path.read_text(errors="replace") for path in production.log_dir.glob("*.log")}
    rasa_logs = "".join(text for name, text in logs.items() if name.startswith("rasa-"))
    # Rasa logs each message at DEBUG, so the numbers did reach the log - masked.
    assert "139****0000" in rasa_logs
    for name, text in logs.items():
        assert phone not in text, f"raw phone number in {name}"
        assert account not in text, f"raw account number in {name}"
