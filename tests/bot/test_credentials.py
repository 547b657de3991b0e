"""bot/credentials.yml registers every channel, with secrets expanded from the environment."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from rasa.core.run import create_http_input_channels

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = ROOT / "bot" / "credentials.yml"
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)\}")
VALUES = {
    "WECHAT_TOKEN": "wx-token", "WECHAT_APPID": "wx1234567890", "WECHAT_APPSECRET": "wx-secret",
    "WECHAT_ENCODING_AES_KEY": "", "WECHAT_MP_TOKEN": "mp-token", "WECHAT_MP_APPID": "wxmp123",
    "WECHAT_MP_APPSECRET": "mp-secret", "WECHAT_MP_ENCODING_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "HOTLINE_TOKEN": "hotline-token",
}


def referenced() -> set:
    lines = CREDENTIALS.read_text(encoding="utf-8").splitlines()
    return {name for line in lines if not line.lstrip().startswith("#") for name in VARIABLE.findall(line)}


def test_the_file_references_exactly_the_channel_secrets_unquoted():
    text = "\n".join(line for line in CREDENTIALS.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("#"))
    assert referenced() == set(VALUES)
    assert not re.search(r"""["']\$\{""", text), "quoted ${VAR} is not expanded by Rasa"


@pytest.fixture
def channel_env(monkeypatch):
    for name, value in VALUES.items():
        monkeypatch.setenv(name, value)
    for name in ("WECHAT_ALLOW_PLAINTEXT", "WECHAT_MP_ALLOW_PLAINTEXT", "KIOSK_IDLE_SECONDS"):
        monkeypatch.delenv(name, raising=False)


def test_every_channel_is_registered_with_its_secrets(channel_env):
    channels = {channel.name(): channel for channel in create_http_input_channels(None, str(CREDENTIALS))}
    assert set(channels) == {"rest", "wechat", "wechat_mp", "hotline", "kiosk"}
    assert type(channels["rest"]).__module__ == "connectors.rest"
    wechat = channels["wechat"].settings
    assert (wechat.token, wechat.appid, wechat.secret, wechat.aes_key) == ("wx-token", "wx1234567890", "wx-secret", "")
    assert not wechat.require_encryption
    mini = channels["wechat_mp"].settings
    assert (mini.token, mini.appid, mini.secret) == ("mp-token", "wxmp123", "mp-secret")
    assert mini.aes_key == VALUES["WECHAT_MP_ENCODING_AES_KEY"] and mini.require_encryption  # safe mode only
    assert channels["hotline"]._token == "hotline-token"
    assert channels["kiosk"].idle_seconds == 90


def test_empty_values_load_with_the_channels_unconfigured(channel_env, monkeypatch):
    for name in VALUES:
        monkeypatch.setenv(name, "")
    channels = {channel.name(): channel for channel in create_http_input_channels(None, str(CREDENTIALS))}
    assert channels["wechat"].settings.missing() == ["WECHAT_TOKEN"]  # its webhook answers 503
    assert channels["hotline"]._token == ""


def test_a_missing_variable_stops_start_up_with_its_name(channel_env, monkeypatch):
    monkeypatch.delenv("HOTLINE_TOKEN")
    with pytest.raises(Exception, match="HOTLINE_TOKEN"):
        create_http_input_channels(None, str(CREDENTIALS))


def test_a_malformed_aes_key_stops_start_up(channel_env, monkeypatch):
    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", "too-short")
    with pytest.raises(ValueError, match="WECHAT_ENCODING_AES_KEY"):
        create_http_input_channels(None, str(CREDENTIALS))


def test_every_launcher_sets_every_variable():
    """make run / run_production.sh (scripts/env.sh) and docker compose set each one, so an
    unconfigured channel never stops Rasa from starting."""
    env = {k: v for k, v in os.environ.items() if k not in VALUES}
    printed = subprocess.run(["bash", "-c", "source scripts/env.sh && env"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
    exported = {line.split("=", 1)[0] for line in printed.splitlines()}
    assert referenced() <= exported
    compose = ROOT / "deploy" / "docker-compose.yml"
    if compose.exists():
        compose_text = compose.read_text(encoding="utf-8")
        for name in referenced():
            assert re.search(rf"^\s+{name}: \$\{{{name}:-\}}", compose_text, re.MULTILINE), name
