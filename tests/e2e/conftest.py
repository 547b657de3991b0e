"""Starts the whole assistant (back end, action server, Rasa with the trained model) on spare
ports with throw-away databases, for tests that talk to it over HTTP like a channel would."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "assistant.tar.gz"
VENV_BIN = Path(sys.executable).parent
# bot/credentials.yml references these (Rasa refuses to start when one is unset); the test values
# let tests/e2e/test_channels.py sign WeChat pushes and call the hotline like the real senders.
CHANNEL_ENV = {
    "WECHAT_TOKEN": "e2e-wechat-token", "WECHAT_APPID": "", "WECHAT_APPSECRET": "", "WECHAT_ENCODING_AES_KEY": "",
    "WECHAT_MP_TOKEN": "e2e-wechat-mp-token", "WECHAT_MP_APPID": "", "WECHAT_MP_APPSECRET": "",
    "WECHAT_MP_ENCODING_AES_KEY": "", "HOTLINE_TOKEN": "e2e-hotline-token",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {seconds}s")


class Stack:
    def __init__(self, workdir: Path, endpoints: str = "bot/endpoints.yml") -> None:
        self.workdir = workdir
        self.endpoints = endpoints
        self.ports = {"rasa": free_port(), "actions": free_port(), "backend": free_port()}
        self.env = dict(os.environ)
        self.env.update(
            PYTHONPATH=str(ROOT),
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
            BACKEND_PORT=str(self.ports["backend"]),
            BACKEND_URL=f"http://127.0.0.1:{self.ports['backend']}",
            BACKEND_DB_URL=f"sqlite+aiosqlite:///{workdir}/backend.db",
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.ports['actions']}/webhook",
            TRACKER_DB_PATH=str(workdir / "tracker.db"),
        )
        self.env.update(CHANNEL_ENV)
        # The parts' shared secrets, as scripts/env.sh hands them over (environment, not argv).
        self.secrets = {name: f"e2e-{name.lower()}-{os.urandom(8).hex()}"
                        for name in ("RASA_API_TOKEN", "ACTION_SERVER_TOKEN", "BACKEND_SERVICE_TOKEN")}
        self.env.update(self.secrets)
        self.env.pop("REDIS_URL", None)  # connectors' state in memory: one Rasa process
        self.processes: List[subprocess.Popen] = []

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['rasa']}"

    @property
    def backend_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['backend']}"

    def _start(self, name: str, args: List[str]) -> None:
        log = open(self.workdir / f"{name}.log", "wb")
        self.processes.append(subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))

    def start(self) -> None:
        self._start("backend", [str(VENV_BIN / "python"), "-m", "backend"])
        python = str(VENV_BIN / "python")
        self._start("actions", [python, "-m", "security.action_server", "--actions", "actions",
                                "--port", str(self.ports["actions"])])
        self._start("rasa", [python, "-m", "security.rasa_server", "--model", str(MODEL),
                             "--port", str(self.ports["rasa"]), "--endpoints", self.endpoints,
                             "--credentials", "bot/credentials.yml"])
        wait_for(f"{self.backend_url}/api/v1/health", 60)
        wait_for(f"http://127.0.0.1:{self.ports['actions']}/health", 120)
        wait_for(f"{self.rasa_url}/", 300)

    @property
    def api_token(self) -> str:
        return self.secrets["RASA_API_TOKEN"]

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['actions']}"

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def logs(self) -> Dict[str, str]:
        return {p.name: p.read_text(errors="replace")[-3000:] for p in self.workdir.glob("*.log")}
