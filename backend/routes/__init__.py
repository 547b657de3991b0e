"""HTTP routes, one module per back-end system; `setup_routes` registers them all."""
from __future__ import annotations

from aiohttp import web

from backend.routes import accounts, health, outages, sms, subscriptions, work_orders


def setup_routes(app: web.Application) -> None:
    for module in (health, accounts, outages, work_orders, subscriptions, sms):
        app.router.add_routes(module.routes)
