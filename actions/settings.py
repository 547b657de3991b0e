"""Action-server settings from environment variables (read when used, so tests can override)."""
from __future__ import annotations

import os


def backend_url() -> str:
    return os.environ.get("BACKEND_URL", "http://127.0.0.1:5080").rstrip("/")


def backend_timeout_seconds() -> float:
    # Rasa's own action timeout is minutes and the conversation lock 60 s: a slow back end must
    # not hold a customer's turn, so every call is cut short here.
    return float(os.environ.get("BACKEND_TIMEOUT_SECONDS", "2.0"))


def backend_retries() -> int:
    return int(os.environ.get("BACKEND_RETRIES", "1"))
