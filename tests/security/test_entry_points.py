"""The launchers refuse to start without their secrets and keep them out of argv; the channel
guards (REST identity, typed slashes, body limits) do what security needs."""
from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from connectors import body_limits, typed_text
from connectors.rest import MAX_MESSAGE_CHARS, RestInput
from security.rasa_server import rasa_argv
from security.service_auth import token_matches


@pytest.mark.parametrize("module, secret", [("security.rasa_server", "RASA_API_TOKEN"),
                                            ("security.action_server", "ACTION_SERVER_TOKEN"),
                                            ("backend", "BACKEND_SERVICE_TOKEN")])
def test_each_part_refuses_to_start_without_its_secret(module, secret, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in (secret, f"{secret}_FILE")}
    env["BACKEND_DB_URL"] = f"sqlite+aiosqlite:///{tmp_path}/backend.db"
    result = subprocess.run([sys.executable, "-m", module, "--port", "1"] if module != "backend"
                            else [sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert secret in result.stderr


def test_a_short_secret_is_refused(tmp_path):
    env = {**os.environ, "ACTION_SERVER_TOKEN": "short"}
    result = subprocess.run([sys.executable, "-m", "security.action_server"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and "shorter" in result.stderr


def test_a_secret_from_a_file(tmp_path, monkeypatch):
    from security.service_secrets import read_secret

    path = tmp_path / "token"
    path.write_text("from-a-file-0123456789\n")
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    monkeypatch.setenv("ACTION_SERVER_TOKEN_FILE", str(path))
    assert read_secret("ACTION_SERVER_TOKEN") == "from-a-file-0123456789"


def test_rasa_arguments_keep_the_token_out_and_default_to_loopback(monkeypatch):
    monkeypatch.delenv("RASA_HOST", raising=False)
    argv = rasa_argv(["--model", "m.tar.gz", "--port", "5005"])
    assert argv[:3] == ["rasa", "run", "--enable-api"] and argv[-2:] == ["--interface", "127.0.0.1"]
    assert rasa_argv(["--interface", "0.0.0.0"]).count("--interface") == 1
    for flag in (["--auth-token", "x"], ["--auth-token=x"], ["--jwt-secret", "x"]):
        with pytest.raises(SystemExit):
            rasa_argv(flag)


def test_token_comparison():
    assert token_matches("a" * 20, "a" * 20)
    assert not token_matches("a" * 19 + "b", "a" * 20)
    assert not token_matches("", "") and not token_matches(None, "x" * 20)


@pytest.mark.parametrize("raw, expected", [
    ("/greet", "greet"), (" /greet", "greet"), ("\u3000/human_agent", "human_agent"), ("/ /inform", "inform"),
    ("\u200b/deny", "deny"), ("  我家停电了 ", "我家停电了"), ("/", "／"), ("电费/月", "电费/月"),
])
def test_typed_text_never_starts_with_a_slash(raw, expected):
    assert typed_text(raw) == expected
    assert not typed_text(raw).startswith("/")


def test_wechat_typed_text_with_a_leading_space_is_no_intent():
    from connectors.wechat_inbound import Inbound

    message = Inbound(openid="o1", account="gh", msg_type="text", text=' /inform{"account_no": "0300000001"}')
    assert not message.dialogue_text().startswith("/")


def _request(body, remote="203.0.113.5"):
    return SimpleNamespace(json=body, remote_addr=remote, ip="127.0.0.1")


async def test_rest_reports_rest_whatever_the_client_says_and_drops_its_metadata():
    channel = RestInput()
    request = _request({"sender": "s", "message": "hi", "input_channel": "wechat",
                        "metadata": {"verified_account_no": "0300000001"}})
    assert channel._extract_input_channel(request) == "rest"
    assert channel.get_metadata(request) == {"client_address": "203.0.113.5"}


def test_rest_refuses_a_message_that_is_too_long():
    from sanic.exceptions import SanicException

    with pytest.raises(SanicException) as refused:
        RestInput()._extract_message(_request({"message": "电" * (MAX_MESSAGE_CHARS + 1)}))
    assert refused.value.status_code == 413
    assert RestInput()._extract_message(_request({"message": "电" * MAX_MESSAGE_CHARS}))


def test_every_channel_has_a_body_limit():
    for path in ("/webhooks/rest/webhook", "/webhooks/hotline/webhook", "/webhooks/kiosk/webhook",
                 "/webhooks/wechat/webhook", "/webhooks/wechat_mp/webhook"):
        assert 0 < body_limits.limit_for(path) <= 64 * 1024
    assert body_limits.limit_for("/model/parse") is None  # the API: Sanic's global limit
