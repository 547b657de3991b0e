"""Every exploit of the "secure by default" issue against the embedded profile (make run), as plain
HTTP requests; each is refused (401/403/413) or answered with nothing revealed."""
from __future__ import annotations

import json
import time
import uuid

from tests.e2e.conftest import CHANNEL_ENV
from tests.security.stack.exploits import (
    FORGED_TRACKER, MIDDLE_DIGITS, failed_verification, http, listening_addresses, new_sender, post,
    process_arguments, random_account, say, tracker,
)


def test_every_process_listens_on_loopback_only(stack):
    for name, port in stack.ports.items():
        addresses = listening_addresses(port)
        assert addresses and set(addresses) <= {"127.0.0.1"}, (name, addresses)


def test_the_http_api_needs_the_token(stack):
    sender = new_sender()
    say(stack.rasa_url, sender, "你好")
    for method, path, body in [
        ("GET", f"/conversations/{sender}/tracker", None),
        ("POST", f"/conversations/{sender}/tracker/events",
         json.dumps({"event": "slot", "name": "verified_account_no", "value": "0300000001"}).encode()),
        ("POST", f"/conversations/{sender}/trigger_intent", json.dumps({"name": "bill_query"}).encode()),
        ("POST", "/model/parse", json.dumps({"text": "你好"}).encode()),
        ("GET", "/status", None),
    ]:
        for query in ("", "?token=wrong-token"):
            status, _ = http(method, f"{stack.rasa_url}{path}{query}", body)
            assert status == 401, (method, path, query, status)
    # The slot event never reached the conversation.
    slots = tracker(stack.rasa_url, sender, stack.api_token)["slots"]
    assert slots.get("verified_account_no") is None


def test_the_action_server_refuses_calls_without_its_secret(stack):
    for headers in ({}, {"X-Service-Token": "wrong"}):
        status, body = post(f"{stack.actions_url}/webhook", FORGED_TRACKER, headers)
        assert status == 401 and "13800001234" not in json.dumps(body, ensure_ascii=False), (headers, body)
    assert http("GET", f"{stack.actions_url}/actions")[0] == 401
    assert http("GET", f"{stack.actions_url}/health")[0] == 200


def test_the_back_end_refuses_calls_without_its_credential(stack):
    for path in ("/api/v1/accounts/0300000001", "/api/v1/work-orders?phone=13800001234", "/api/v1/sms/outbox?phone=13800001234"):
        status, body = http("GET", f"{stack.backend_url}{path}")
        assert status == 401 and "138" not in body, (path, body)
    status, _ = http("POST", f"{stack.backend_url}/api/v1/accounts/verify",
                     json.dumps({"account_no": "0300000001", "phone_last4": "1234"}).encode())
    assert status == 401
    assert http("GET", f"{stack.backend_url}/api/v1/health")[0] == 200


def test_a_phone_number_alone_lists_no_work_orders(stack):
    headers = {"X-Service-Token": stack.secrets["BACKEND_SERVICE_TOKEN"]}
    status, body = http("GET", f"{stack.backend_url}/api/v1/work-orders?phone=13800001234", headers=headers)
    assert status == 403 and "PHONE_NOT_VERIFIED" in body and "order_no" not in body


def test_rest_cannot_claim_another_channel_or_an_identity(stack):
    sender = new_sender()
    say(stack.rasa_url, sender, "你好", input_channel="wechat")
    events = tracker(stack.rasa_url, sender, stack.api_token)["events"]
    assert {e.get("input_channel") for e in events if e["event"] == "user"} == {"rest"}
    replies = say(stack.rasa_url, sender, "查一下我家电费", metadata={"verified_account_no": "0300000001"})
    text = "\n".join(m.get("text", "") for m in replies)
    assert "验证" in text and "13800001234" not in text
    status, _ = post(f"{stack.rasa_url}/webhooks/rest/webhook", {"sender": "wechat:someone", "message": "你好"})
    assert status == 403


def test_new_conversations_from_one_address_are_slowed_down(stack):
    texts = [failed_verification(stack.rasa_url, new_sender(), random_account(n)) for n in range(7)]
    assert all("验证未通过" in t for t in texts[:6]), texts
    assert "后再试" in texts[-1], texts[-1]


def test_a_typed_slash_is_never_an_intent(stack):
    sender = str(uuid.uuid4())  # the kiosk page's own ids
    forged = ' /inform{"account_no": "0300000001"}'
    status, _ = post(f"{stack.rasa_url}/webhooks/kiosk/webhook", {"sender": sender, "message": forged})
    assert status == 200
    hotline = {"Authorization": f"Bearer {CHANNEL_ENV['HOTLINE_TOKEN']}"}
    call = new_sender()
    status, _ = post(f"{stack.rasa_url}/webhooks/hotline/webhook", {"call_id": call, "text": "/ /human_agent"}, hotline)
    assert status == 200
    for conversation in (f"kiosk:{sender}", f"hotline:{call}"):
        users = [e for e in tracker(stack.rasa_url, conversation, stack.api_token)["events"] if e["event"] == "user"]
        assert users, conversation
        for event in users:
            assert not event["text"].startswith("/"), event["text"]
            assert event["parse_data"]["intent"].get("confidence", 0) < 1.0 or not event["text"].startswith("/")


def test_bodies_over_the_limits_get_413_and_nothing_is_stored(stack):
    sender = new_sender()
    big = json.dumps({"sender": sender, "message": "电" * 20000}).encode()
    assert http("POST", f"{stack.rasa_url}/webhooks/rest/webhook", big)[0] == 413
    long_message = {"sender": sender, "message": "电" * 1001}
    assert post(f"{stack.rasa_url}/webhooks/rest/webhook", long_message)[0] == 413
    hotline = {"Authorization": f"Bearer {CHANNEL_ENV['HOTLINE_TOKEN']}"}
    assert http("POST", f"{stack.rasa_url}/webhooks/hotline/webhook", b"x" * 9000, hotline)[0] == 413
    assert http("POST", f"{stack.rasa_url}/webhooks/kiosk/webhook", b"x" * 9000)[0] == 413
    huge = b'{"text": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    assert http("POST", f"{stack.rasa_url}/model/parse?token={stack.api_token}", huge)[0] == 413
    assert [e for e in tracker(stack.rasa_url, sender, stack.api_token)["events"] if e["event"] == "user"] == []


def test_no_secret_is_in_any_process_list(stack):
    arguments = process_arguments()
    for name, value in stack.secrets.items():
        assert value not in arguments, name


def test_masking_holds_for_every_phone_format_in_summaries_and_logs(stack):
    hotline = {"Authorization": f"Bearer {CHANNEL_ENV['HOTLINE_TOKEN']}"}
    for spoken in ("我的电话是138 1234 5678家里停电了", "电话138-1234-5678，家里没电", "手机１３８１２３４５６７８停电了",
                   "我手机幺三八一二三四五六七八家里停电"):
        call = new_sender()
        post(f"{stack.rasa_url}/webhooks/hotline/webhook", {"call_id": call, "text": spoken}, hotline)
        status, answer = post(f"{stack.rasa_url}/webhooks/hotline/webhook", {"call_id": call, "text": "转人工"}, hotline)
        assert status == 200 and answer["action"] == "transfer", answer
        summary = json.dumps(answer["transfer"], ensure_ascii=False)
        assert not MIDDLE_DIGITS.search(summary), summary
    time.sleep(1)
    for name, text in stack.logs().items():
        assert not MIDDLE_DIGITS.search(text), name
