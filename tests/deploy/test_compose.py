"""deploy/docker-compose.yml and deploy/Dockerfile are deployment documentation; this checks
what can be checked without Docker: the file parses (YAML merge keys as compose reads them), it
describes the production profile (PostgreSQL, Redis, back end, 2 action servers behind a
balancer, 2 Rasa replicas behind a balancer), secrets only come from the environment, and the
commands point at files that exist in the repository."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|AES_KEY")


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def environment(service: dict) -> dict:
    env = service.get("environment") or {}
    return env if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def test_the_production_profile_is_described():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "backend", "actions-1", "actions-2", "actions-balancer",
                             "rasa-1", "rasa-2", "balancer", "notices", "retention"}
    for name in ("rasa-1", "rasa-2"):
        env, command = environment(services[name]), " ".join(services[name]["command"])
        assert "bot/endpoints.production.yml" in command and "security.rasa_server" in command
        assert "--auth-token" not in command and env["RASA_API_TOKEN"].startswith("${RASA_API_TOKEN:?")
        assert env["ACTION_ENDPOINT_URL"] == "http://actions-balancer:5055/webhook"
        assert env["TRACKER_DB_HOST"] == "postgres" and env["LOCK_STORE_HOST"] == "redis"
    rasa_balancer = services["balancer"]["command"]
    assert [rasa_balancer[i + 1] for i, a in enumerate(rasa_balancer) if a == "--upstream"] == [
        "http://rasa-1:5005", "http://rasa-2:5005"]
    actions_balancer = services["actions-balancer"]["command"]
    assert "--actions-fallback" in actions_balancer
    assert [actions_balancer[i + 1] for i, a in enumerate(actions_balancer) if a == "--upstream"] == [
        "http://actions-1:5055", "http://actions-2:5055"]
    assert environment(services["actions-1"])["BACKEND_URL"] == "http://backend:5080"
    assert environment(services["backend"])["BACKEND_DB_URL"].startswith("postgresql+asyncpg://")
    assert "migrate" in services["migrate"]["command"][-1]
    # Only the customers' door is published.
    assert [name for name, s in services.items() if s.get("ports")] == ["balancer"]


def test_secrets_come_only_from_the_environment():
    services = compose()["services"]
    for name, service in services.items():
        for key, value in environment(service).items():
            value = str(value)
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:[-?][^}]*)?\}", value), (name, key, value)
            for userinfo in re.findall(r"://(.*?)@", value):  # credentials inside URLs: variables only
                assert re.fullmatch(r"(\$\{[^}]+\})?:\$\{[A-Z_]*PASSWORD[^}]*\}", userinfo), (name, key, value)
    text = COMPOSE.read_text(encoding="utf-8")
    for name in ("actions-1", "actions-2"):
        assert "security.action_server" in " ".join(services[name]["command"])
    for required in ("PGPASSWORD", "REDIS_PASSWORD", "RASA_API_TOKEN", "ACTION_SERVER_TOKEN", "BACKEND_SERVICE_TOKEN"):
        assert f"${{{required}:?" in text  # compose refuses to start without it


def test_files_the_deployment_uses_exist():
    for path in ("deploy/Dockerfile", "deploy/Dockerfile.dockerignore", "deploy/env.example", "bot/endpoints.production.yml",
                 "bot/credentials.yml", "scripts/balancer.py", "requirements.lock", "constraints.txt", "backend/db_admin.py"):
        assert (ROOT / path).is_file(), path
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "requirements.lock" in dockerfile and "USER assistant" in dockerfile
    assert not re.search(r"(?i)(password|token|secret)\s*=", dockerfile)
    example = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    assert all(line.endswith("=") or line.startswith("#") or not line.strip() for line in example.splitlines())
