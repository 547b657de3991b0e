"""bot.runtime.action_payload: the action server gets the same JSON values, with Rasa's headers and auth."""
import asyncio
import base64
import json

import numpy as np
import pytest
from aiohttp import web
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig

import bot.runtime  # noqa: F401  (installs the change, as the Rasa server does when loading the model)
from bot.runtime import action_payload


def tracker_state():
    tracker = DialogueStateTracker.from_events("wx-o1", [
        ActionExecuted("action_listen"),
        UserUttered("我家停电了/福田区 \"急\"", {"name": "outage_lookup", "confidence": 0.92},
                    [{"entity": "district", "value": "福田区", "start": 5, "end": 8}]),
        SlotSet("kwh", 215.5), SlotSet("verified", True), SlotSet("account_no", None),
    ])
    return tracker.current_state(EventVerbosity.ALL)


def post(payload, **endpoint):
    """What the action server receives from Rasa's EndpointConfig.request."""
    received = {}

    async def scenario():
        async def handler(request):
            received["body"] = await request.text()
            received["headers"] = dict(request.headers)
            return web.json_response({"events": [], "responses": []})

        app = web.Application()
        app.router.add_post("/webhook", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            config = EndpointConfig(f"http://127.0.0.1:{port}/webhook", **endpoint)
            return await config.request(json=payload, method="post")
        finally:
            await runner.cleanup()

    reply = asyncio.run(scenario())
    return reply, received


def test_installed_on_rasa_endpoints():
    assert EndpointConfig.session is action_payload.session


def test_the_action_server_reads_the_same_values_as_with_json():
    payload = {"next_action": "action_lookup_outage", "sender_id": "wx-o1", "tracker": tracker_state(),
               "domain": {"slots": {"kwh": {"type": "float"}}}, "version": "3.6.21"}
    reply, received = post(payload)
    assert reply == {"events": [], "responses": []}
    assert json.loads(received["body"]) == json.loads(json.dumps(payload))
    assert received["body"] == action_payload.dumps(payload) != json.dumps(payload)  # ujson wrote it
    assert received["headers"]["Content-Type"] == "application/json"


def test_rasas_headers_and_basic_auth_are_kept():
    _, received = post({"a": 1}, headers={"X-Site": "kiosk"}, basic_auth={"username": "rasa", "password": "s3cret"})
    assert received["headers"]["X-Site"] == "kiosk"
    assert received["headers"]["Authorization"] == "Basic " + base64.b64encode(b"rasa:s3cret").decode()


def test_what_ujson_cannot_encode_is_left_to_json():
    assert json.loads(action_payload.dumps({"big": 2 ** 80, "nan": 1.5})) == {"big": 2 ** 80, "nan": 1.5}
    with pytest.raises(TypeError):  # as before: json refuses numpy integers too
        action_payload.dumps({"n": np.int64(3)})

