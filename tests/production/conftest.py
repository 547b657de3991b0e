"""The production profile for real: scripts/run_production.sh started on spare loopback ports
against this machine's PostgreSQL and Redis, with throw-away databases and a lock-key prefix
of its own, torn down afterwards.

Without PostgreSQL, Redis or a trained model the tests are skipped with the reason; with `CI`
set they fail instead, because then a skip would hide a broken production profile.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "assistant.tar.gz"

PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PGPORT", "5432"))
PG_USER = os.environ.get("PGUSER", "postgres")
PG_PASSWORD = os.environ.get("PGPASSWORD", "")
REDIS_HOST = os.environ.get("LOCK_STORE_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("LOCK_STORE_PORT", "6379"))
REDIS_CHANNEL_DB = 2  # the profile's default database for channel state (CHANNEL_STORE_DB)
READY_SECONDS = 420  # two Rasa replicas loading the model at once on a 2-core machine
WECHAT_TOKEN = "prodtest-wechat-token"  # plain mode: signature only, no AppID, nothing sent out


def postgres_admin_url(database: str = "postgres") -> str:
    password = f":{PG_PASSWORD}" if PG_PASSWORD else ""
    return f"postgresql+psycopg2://{PG_USER}{password}@{PG_HOST}:{PG_PORT}/{database}"


def unavailable_reason() -> Optional[str]:
    """Why the production profile cannot run here, or None."""
    try:
        import psycopg2

        psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, password=PG_PASSWORD or None,
                         dbname="postgres", connect_timeout=3).close()
    except Exception as error:  # any failure means: not usable here
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable ({type(error).__name__})"
    try:
        import redis

        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=3).ping()
    except Exception as error:
        return f"Redis at {REDIS_HOST}:{REDIS_PORT} unreachable ({type(error).__name__})"
    return None


def require_services() -> None:
    reason = unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the production profile must be testable: {reason}")
        pytest.skip(reason)


def require_model() -> None:
    if not MODEL.exists():
        message = f"no trained model at {MODEL} (run `make train`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, payload: Any = None, timeout: float = 60, raw: bytes = None,
         headers: Optional[Dict[str, str]] = None):
    """(status, parsed JSON or text) without raising on HTTP errors."""
    data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    text = body.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


class ProductionProfile:
    """One run_production.sh process group; restart() stops everything and starts it again."""

    def __init__(self, workdir: Path) -> None:
        tag = uuid.uuid4().hex[:8]
        self.workdir = workdir
        self.backend_db = f"prodtest_{tag}_backend"
        self.tracker_db = f"prodtest_{tag}_tracker"
        self.lock_prefix = f"prodtest{tag}"
        self.channel_prefix = f"prodtest{tag}:channel:"
        self.token = uuid.uuid4().hex
        self.hotline_token = uuid.uuid4().hex
        self.rasa_replica_ports = [free_port(), free_port()]
        self.actions_replica_ports = [free_port(), free_port()]
        self.ports = {"rasa": free_port(), "actions": free_port(), "backend": free_port()}
        self.env = dict(os.environ)
        self.env.update(
            PYTHONPATH=str(ROOT),
            RASA_PORT=str(self.ports["rasa"]),
            ACTIONS_PORT=str(self.ports["actions"]),
            BACKEND_PORT=str(self.ports["backend"]),
            BACKEND_URL=f"http://127.0.0.1:{self.ports['backend']}",
            RASA_REPLICA_PORTS=" ".join(map(str, self.rasa_replica_ports)),
            ACTIONS_REPLICA_PORTS=" ".join(map(str, self.actions_replica_ports)),
            PGHOST=PG_HOST, PGPORT=str(PG_PORT), PGUSER=PG_USER,
            BACKEND_DB_URL=postgres_admin_url(self.backend_db).replace("psycopg2", "asyncpg"),
            TRACKER_DB_NAME=self.tracker_db,
            LOCK_STORE_HOST=REDIS_HOST, LOCK_STORE_PORT=str(REDIS_PORT), LOCK_STORE_PREFIX=self.lock_prefix,
            RASA_API_TOKEN=self.token,
            # Channel state in Redis, as the profile runs it, under this run's own key prefix.
            REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_CHANNEL_DB}",
            REDIS_KEY_PREFIX=self.channel_prefix,
            HOTLINE_TOKEN=self.hotline_token,
            WECHAT_TOKEN=WECHAT_TOKEN,
            # No AppID/secret: no call to the real WeChat API, and no outage-notice job.
            WECHAT_APPID="", WECHAT_APPSECRET="", WECHAT_ENCODING_AES_KEY="",
            PRODUCTION_LOG_DIR=str(workdir / "logs"),
            READY_SECONDS=str(READY_SECONDS),
            # Rasa logs every message at DEBUG: the masking test needs customers' numbers to reach the log.
            LOG_LEVEL="DEBUG",
        )
        for name in ("ACTION_ENDPOINT_URL", "RASA_ENDPOINTS", "TRACKER_DB_HOST", "TRACKER_DB_PORT"):
            self.env.pop(name, None)
        self.process: Optional[subprocess.Popen] = None
        self.starts = 0

    # --- addresses ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['rasa']}"

    @property
    def replica_urls(self) -> List[str]:
        return [f"http://127.0.0.1:{port}" for port in self.rasa_replica_ports]

    @property
    def backend_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['backend']}"

    @property
    def log_dir(self) -> Path:
        return self.workdir / "logs"

    # --- life cycle --------------------------------------------------------------------------
    def start(self) -> None:
        self.starts += 1
        output = open(self.workdir / f"run_production-{self.starts}.log", "wb")
        # Its own process group, so stop() reaches every replica and balancer it started.
        # STOP_WITH_PID: the script stops everything when this test process ends, even by SIGKILL.
        env = {**self.env, "STOP_WITH_PID": str(os.getpid())}
        self.process = subprocess.Popen(["bash", "scripts/run_production.sh"], cwd=ROOT, env=env,
                                        stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + READY_SECONDS + 60
        ready_marker = b"PRODUCTION PROFILE READY"
        while time.monotonic() < deadline:
            if ready_marker in (self.workdir / f"run_production-{self.starts}.log").read_bytes():
                return
            if self.process.poll() is not None:
                break
            time.sleep(1)
        tail = (self.workdir / f"run_production-{self.starts}.log").read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"production profile did not become ready:\n{tail}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def drop_state(self) -> None:
        from sqlalchemy import create_engine, text

        admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in (self.backend_db, self.tracker_db):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        import redis

        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=1)
        for key in client.scan_iter(f"{self.lock_prefix}:*"):
            client.delete(key)
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_CHANNEL_DB)
        for key in client.scan_iter(f"{self.channel_prefix}*"):
            client.delete(key)

    # --- talking to it -----------------------------------------------------------------------
    def say(self, sender: str, text: str, via: Optional[str] = None) -> List[Dict[str, Any]]:
        status, body = http("POST", f"{via or self.url}/webhooks/rest/webhook", {"sender": sender, "message": text})
        assert status == 200, (status, body)
        return body

    def hotline(self, call_id: str, via: Optional[str] = None, **fields: Any):
        """One hotline gateway turn: (status, answer)."""
        return http("POST", f"{via or self.url}/webhooks/hotline/webhook", {"call_id": call_id, **fields},
                    headers={"Authorization": f"Bearer {self.hotline_token}"})

    def kiosk(self, sender: str, via: Optional[str] = None, **fields: Any):
        """One kiosk page request (`message=` or `payload=`): (status, answer)."""
        return http("POST", f"{via or self.url}/webhooks/kiosk/webhook", {"sender": sender, **fields})

    def tracker(self, sender: str, via: Optional[str] = None) -> Dict[str, Any]:
        status, body = http("GET", f"{via or self.url}/conversations/{sender}/tracker?token={self.token}")
        assert status == 200, (status, body)
        return body


def texts(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(message.get("text", "") for message in messages)


def listener_pid(port: int) -> int:
    """The process listening on a loopback port (one the profile started)."""
    output = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(re.search(r"pid=(\d+)", output).group(1))


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {seconds}s")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
