"""The foundation's promise: 你好 and 转人工 get sensible Chinese replies through the REST channel."""
import json
import re
import sqlite3

from tests.e2e.helpers import Conversation, get_json, post_json


def test_greeting(stack):
    reply = Conversation(stack).say("你好")
    assert reply, "no reply"
    assert "小南" in reply[0]["text"]
    assert any(b["title"] == "转人工" for b in reply[0].get("buttons", []))


def test_handoff_creates_an_order_the_back_end_holds(stack):
    conversation = Conversation(stack)
    conversation.say("你好")
    text = conversation.say_text("转人工")
    match = re.search(r"RG\d{14}", text)
    assert match, text
    order = get_json(f"{stack.backend_url}/api/v1/work-orders/{match.group(0)}",
                     headers={"X-Service-Token": stack.secrets["BACKEND_SERVICE_TOKEN"]})
    assert order["type"] == "handoff"
    assert order["details"] == {}  # the public API does not show the conversation to anyone who asks
    # What the human agent's desk reads: the summary stored with the order.
    with sqlite3.connect(stack.workdir / "backend.db") as db:
        (details,) = db.execute("SELECT details FROM work_orders WHERE order_no = ?", (match.group(0),)).fetchone()
    assert json.loads(details)["summary"]["last_messages"][-1] == "转人工"


def test_parse_returns_contract_intent_names(stack):
    parsed = post_json(f"{stack.rasa_url}/model/parse?token={stack.api_token}", {"text": "我要转人工"})
    assert parsed["intent"]["name"] == "human_agent"


def test_conversation_survives_in_tracker_store(stack):
    conversation = Conversation(stack)
    conversation.say("你好")
    tracker = get_json(f"{stack.rasa_url}/conversations/{conversation.sender}/tracker?token={stack.api_token}")
    assert any(e.get("text") == "你好" for e in tracker["events"] if e["event"] == "user")


def test_empty_and_unreadable_messages_get_a_polite_answer_and_the_conversation_goes_on(stack):
    """An empty message once left no intent for the FallbackClassifier, and the server answered 500."""
    conversation = Conversation(stack)
    for text in ["", "   ", "😀😀😀", "？？？"]:
        reply = conversation.say_text(text)
        assert reply and re.search(r"[\u4e00-\u9fff]", reply), (text, reply)
        assert "Traceback" not in reply and "Error" not in reply
    assert "小南" in conversation.say_text("你好")  # the conversation is still usable
