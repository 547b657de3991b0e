"""Liveness and the API description."""
from __future__ import annotations

from aiohttp import web

from backend.openapi import openapi_document
from backend.responses import json_response

routes = web.RouteTableDef()


@routes.get("/api/v1/health")
async def health(_request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


@routes.get("/api/v1/openapi.json")
async def openapi(_request: web.Request) -> web.Response:
    return json_response(openapi_document())
