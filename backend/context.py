"""What handlers get from the application: sessions, the clock, geography and regional facts."""
from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlalchemy.orm import sessionmaker

from backend.clock import Clock
from backend.geography import Geography
from backend.regional_facts import RegionalFacts

SESSIONS = web.AppKey("sessions", sessionmaker)
CLOCK = web.AppKey("clock", object)
GEOGRAPHY = web.AppKey("geography", Geography)
FACTS = web.AppKey("facts", RegionalFacts)


def sessions(request: web.Request) -> sessionmaker:
    return request.app[SESSIONS]


def now(request: web.Request) -> datetime:
    clock: Clock = request.app[CLOCK]
    return clock()


def geography(request: web.Request) -> Geography:
    return request.app[GEOGRAPHY]


def facts(request: web.Request) -> RegionalFacts:
    return request.app[FACTS]
