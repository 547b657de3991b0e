"""`python -m backend` serves on BACKEND_PORT and creates var/ for the default SQLite database."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from tests.conftest import SERVICE_HEADERS

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_python_dash_m_backend(tmp_path):
    port = free_port()
    env = {**os.environ, "BACKEND_PORT": str(port), "PYTHONPATH": str(ROOT)}
    env.pop("BACKEND_DB_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "backend"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://127.0.0.1:{port}/api/v1/accounts/0300000001"
                request = urllib.request.Request(url, headers=SERVICE_HEADERS)
                with urllib.request.urlopen(request, timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "back end did not start"
                time.sleep(0.2)
        assert (tmp_path / "var" / "backend.db").exists()
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode()
    assert "0300000001" not in output and "03******01" in output  # access log masked


def test_python_dash_m_backend_refuses_to_start_without_its_service_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BACKEND_SERVICE_TOKEN"}
    env["BACKEND_DB_URL"] = f"sqlite+aiosqlite:///{tmp_path}/backend.db"
    result = subprocess.run([sys.executable, "-m", "backend"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "BACKEND_SERVICE_TOKEN" in result.stderr
