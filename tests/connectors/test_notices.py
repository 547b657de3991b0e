"""Outage notices to WeChat subscribers (connectors/notices.py) against the real back end (seeded
SQLite) and the local fake WeChat API: delivered once, never twice, even when a confirmation or
the process is lost in between."""
from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestServer

from backend import seed
from backend.app import create_app
from connectors.notices import Journal, NoticeJob, main
from tests.backend.conftest import clock, db_url, template_db  # noqa: F401  (fixtures)
from tests.conftest import SERVICE_HEADERS

OPENID = "oWx_demo-openid-0001"
SUBSCRIBER = {"account_no": seed.DEMO_HOUSEHOLD_OF_6, "channel": "wechat", "recipient_id": f"wechat:{OPENID}"}


@pytest.fixture
async def backend(db_url, clock):  # noqa: F811
    server = TestServer(create_app(db_url, now=clock))
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


async def subscribe(backend_url: str, subscriber=SUBSCRIBER) -> None:
    import aiohttp

    async with aiohttp.ClientSession(headers=SERVICE_HEADERS) as session:
        async with session.post(f"{backend_url}/api/v1/outage-subscriptions", json=subscriber) as resp:
            assert resp.status in (200, 201), await resp.text()


def job(wechat_api, backend_url, tmp_path, template_id=""):
    return NoticeJob("wechat", wechat_api, Journal(tmp_path / "journal.jsonl"), backend_url, template_id)


async def test_a_notice_is_sent_once_and_confirmed(backend, wechat_api, fake_wechat, tmp_path):
    await subscribe(backend)
    first = await job(wechat_api, backend, tmp_path).run_once()
    assert first.sent >= 1 and first.failed == 0
    texts = fake_wechat.sent_texts()
    assert len(texts) == first.sent and {s["touser"] for s in fake_wechat.sends} == {OPENID}
    text = texts[0]
    assert text.startswith("【") and "停电" in text and "95598" in text
    assert seed.DEMO_HOUSEHOLD_OF_6 not in text  # the account number is masked
    # Confirmed: the next pass (even with a fresh journal) has nothing to send.
    again = await job(wechat_api, backend, tmp_path / "other").run_once()
    assert (again.sent, again.confirmed_only) == (0, 0)
    assert len(fake_wechat.sends) == first.sent


async def test_a_lost_confirmation_is_confirmed_later_without_sending_again(backend, wechat_api, fake_wechat,
                                                                            tmp_path, monkeypatch):
    await subscribe(backend)
    crashed = job(wechat_api, backend, tmp_path)

    async def lost(session, notice_id):
        return False

    monkeypatch.setattr(crashed, "_confirm", lost)
    first = await crashed.run_once()
    assert first.sent >= 1
    # A new process with the same journal: the back end still lists the notices, none is resent.
    restarted = job(wechat_api, backend, tmp_path)
    second = await restarted.run_once()
    assert (second.sent, second.confirmed_only) == (0, first.sent)
    assert len(fake_wechat.sends) == first.sent
    third = await job(wechat_api, backend, tmp_path).run_once()
    assert (third.sent, third.confirmed_only) == (0, 0)


async def test_a_refused_send_is_retried_on_the_next_pass(backend, wechat_api, fake_wechat, tmp_path):
    await subscribe(backend)
    fake_wechat.fail_sends_with = 45015  # e.g. outside the customer-service window
    refused = await job(wechat_api, backend, tmp_path).run_once()
    assert refused.failed >= 1 and refused.sent == 0 and fake_wechat.sends == []
    fake_wechat.fail_sends_with = None
    retried = await job(wechat_api, backend, tmp_path).run_once()
    assert retried.sent == refused.failed and len(fake_wechat.sends) == retried.sent


async def test_template_messages_when_a_template_is_configured(backend, wechat_api, fake_wechat, tmp_path):
    await subscribe(backend)
    result = await job(wechat_api, backend, tmp_path, template_id="TPL-outage").run_once()
    assert result.sent >= 1 and fake_wechat.sends == []
    template = fake_wechat.templates[0]
    assert template["touser"] == OPENID and template["template_id"] == "TPL-outage"
    assert set(template["data"]) == {"first", "keyword1", "keyword2", "keyword3", "remark"}
    assert seed.DEMO_HOUSEHOLD_OF_6 not in json.dumps(template, ensure_ascii=False)


def test_the_command_refuses_to_run_without_app_credentials(monkeypatch, tmp_path):
    for name in ("WECHAT_APPID", "WECHAT_APPSECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit, match="WECHAT_APPID"):
        main(["--once", "--journal", str(tmp_path / "j.jsonl")])
