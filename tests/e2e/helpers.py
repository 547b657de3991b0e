"""Talking to the running assistant through the REST channel."""
from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any, Dict, List


def post_json(url: str, payload: Dict[str, Any], timeout: float = 30) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def get_json(url: str, timeout: float = 10, headers: Dict[str, str] = None) -> Any:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


class Conversation:
    def __init__(self, stack, sender: str = "") -> None:
        self.stack = stack
        self.sender = sender or f"e2e-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> List[Dict[str, Any]]:
        return post_json(f"{self.stack.rasa_url}/webhooks/rest/webhook", {"sender": self.sender, "message": text})

    def say_text(self, text: str) -> str:
        return "\n".join(m.get("text", "") for m in self.say(text))
