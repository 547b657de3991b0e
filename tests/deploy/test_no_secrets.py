"""No credentials in the repository: every password, token and key comes from the environment.

Scans the files git tracks or would track (untracked but not ignored), except tests/, whose
fixtures use obviously fake values (e.g. tests/connectors/wechat_payloads.py). A hit names the
file and line; a real credential found here must be rotated, not just deleted."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRIVATE_KEY = re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----")
CLOUD_KEY = re.compile(r"\b(?:AKIA[0-9A-Z]{16}|sk-[A-Za-z0-9]{32,}|ghp_[A-Za-z0-9]{36}|xox[bp]-[A-Za-z0-9-]{20,})\b")
URL_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s/:@'\"]*:([^\s@'\"]+)@")
NAME = r"[A-Za-z_]*(?:password|passwd|secret|token|aes_key|api_key|apikey)[A-Za-z_]*"
QUOTED_ASSIGNMENT = re.compile(rf"(?i)\b{NAME}\b['\"]?\s*[:=]\s*['\"]([A-Za-z0-9+/=_\-.]{{12,}})['\"]")
BARE_ASSIGNMENT = re.compile(rf"(?i)^\s*(?:export\s+)?{NAME}\s*[:=]\s*([^\s'\"$#{{][^\s#]{{7,}})\s*$")
CONFIG_SUFFIXES = {".yml", ".yaml", ".env", ".cfg", ".ini", ".conf", ".toml", ".sh", ".example"}
FORBIDDEN_FILES = re.compile(r"(^|/)(\.env|id_rsa|id_ed25519|[^/]+\.pem|[^/]+\.p12|[^/]+\.key)$")


def repository_files():
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [p for p in listed if not p.startswith("tests/") and (ROOT / p).is_file()]


def test_no_credential_files():
    assert [p for p in repository_files() if FORBIDDEN_FILES.search(p)] == []


def test_no_credentials_in_files():
    hits = []
    for path in repository_files():
        try:
            text = (ROOT / path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary (the model, images)
        config = Path(path).suffix in CONFIG_SUFFIXES or Path(path).name in ("Makefile", "Dockerfile")
        for number, line in enumerate(text.splitlines(), start=1):
            found = [m for m in (PRIVATE_KEY.search(line), CLOUD_KEY.search(line), QUOTED_ASSIGNMENT.search(line))
                     if m]
            if config and BARE_ASSIGNMENT.search(line):
                found.append(BARE_ASSIGNMENT.search(line))
            for match in URL_CREDENTIALS.finditer(line):
                if "$" not in match.group(0) and not match.group(1).startswith(("{", "<", "*", "%(")):  # variables
                    found.append(match)
            if found:
                hits.append(f"{path}:{number}: {line.strip()[:120]}")
    assert hits == [], "credentials written in the repository:\n" + "\n".join(hits)
