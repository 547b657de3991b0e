"""The shared secrets of the parts: read from the environment or from a file, never from code.

Each secret NAME is the value of the variable NAME, or else the content of the file named by
NAME_FILE (how container platforms hand secrets over). `scripts/env.sh` generates missing ones
into var/secrets/ (mode 600) on first run, so a laptop needs no set-up and nothing is printed.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

RASA_API_VAR = "RASA_API_TOKEN"            # the Rasa server's HTTP API
ACTION_SERVER_VAR = "ACTION_SERVER_TOKEN"  # Rasa -> action server
BACKEND_SERVICE_VAR = "BACKEND_SERVICE_TOKEN"  # action server, notice job -> back end

# Shorter secrets are guessable; the generated ones are 43 characters.
MIN_LENGTH = 16


class MissingSecret(RuntimeError):
    pass


def read_secret(name: str) -> Optional[str]:
    """The secret's value, or None when neither NAME nor a readable NAME_FILE gives one."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = os.environ.get(f"{name}_FILE", "").strip()
    if path:
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError:
            return None
    return value or None


def require_secret(name: str, what: str) -> str:
    """The secret, or MissingSecret with a message that says how to set it."""
    value = read_secret(name)
    if not value:
        raise MissingSecret(f"{what} needs the secret {name}: set {name} (or {name}_FILE, a file holding it). "
                            f"`make run` and `make run-production` generate one in var/ on first run.")
    if len(value) < MIN_LENGTH:
        raise MissingSecret(f"{name} is shorter than {MIN_LENGTH} characters: use a long random value.")
    return value


def require_or_exit(name: str, what: str) -> str:
    """require_secret for command-line entry points: a clear message and exit status 2."""
    try:
        return require_secret(name, what)
    except MissingSecret as error:
        print(str(error), file=sys.stderr)
        raise SystemExit(2)
