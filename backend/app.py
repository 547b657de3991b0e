"""The back-end application: create_app() for tests and `python -m backend` alike."""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, AsyncIterator, Optional

from aiohttp import web
from sqlalchemy.engine import make_url

from backend.clock import ClockSource, make_clock
from backend.context import CLOCK, FACTS, GEOGRAPHY, SESSIONS
from backend.db import DEFAULT_DB_URL, make_engine, make_session_factory, run_migrations
from backend.errors import error_middleware
from backend.geography import Geography
from bot.text.masking import mask_text
from backend.regional_facts import RegionalFacts
from backend.routes import setup_routes
from backend.seed import seed_if_empty
from security.service_auth import aiohttp_guard
from security.service_secrets import BACKEND_SERVICE_VAR, require_secret

logger = logging.getLogger(__name__)

# Requests are small JSON documents; anything bigger is a mistake or an attack (413).
MAX_BODY_BYTES = 64 * 1024
# Open without the service token: liveness, and the API description (no data in either).
OPEN_PATHS = ("/api/v1/health", "/api/v1/openapi.json")


def _database(db_url: str, seed: bool):
    async def database(app: web.Application) -> AsyncIterator[None]:
        # Alembic is synchronous: keep the event loop free while the schema is brought up to date.
        await asyncio.get_running_loop().run_in_executor(None, run_migrations, db_url)
        engine = make_engine(db_url)
        try:
            app[SESSIONS] = make_session_factory(engine)
            if seed:
                await seed_if_empty(app[SESSIONS], app[FACTS], app[GEOGRAPHY], app[CLOCK]())
            logger.info("database ready: %s", mask_text(_without_password(db_url)))
            yield
        finally:
            await engine.dispose()

    return database


def _without_password(db_url: str) -> str:
    return make_url(db_url).render_as_string(hide_password=True)


def create_app(
    db_url: Optional[str] = None,
    now: ClockSource = None,
    seed: bool = True,
    region: Any = None,
    service_token: Optional[str] = None,
) -> web.Application:
    """db_url: default $BACKEND_DB_URL or sqlite+aiosqlite:///var/backend.db. now: None for real
    time, a datetime, or a callable (tests move time with it). region: a knowledge Region
    (default: the knowledge base's default region). service_token: what every caller must send
    in X-Service-Token (default $BACKEND_SERVICE_TOKEN; refused to start without one)."""
    db_url = db_url or os.environ.get("BACKEND_DB_URL") or DEFAULT_DB_URL
    token = service_token or require_secret(BACKEND_SERVICE_VAR, "The back end")
    app = web.Application(middlewares=[aiohttp_guard(token, OPEN_PATHS), error_middleware],
                          client_max_size=MAX_BODY_BYTES)
    facts = RegionalFacts(region)
    app[FACTS] = facts
    app[GEOGRAPHY] = Geography(facts.districts)
    app[CLOCK] = make_clock(now)
    setup_routes(app)
    app.cleanup_ctx.append(_database(db_url, seed))
    return app
