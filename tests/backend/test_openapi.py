"""The OpenAPI document describes exactly the routes the app serves."""
from __future__ import annotations

from backend.app import create_app


def served_routes():
    app = create_app("sqlite+aiosqlite:///:memory:")
    routes = set()
    for route in app.router.routes():
        if route.method in {"HEAD", "OPTIONS"}:  # aiohttp adds HEAD for every GET
            continue
        routes.add((route.resource.canonical, route.method.lower()))
    return routes


async def test_every_route_is_described_and_nothing_else(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert described == served_routes()


async def test_every_operation_has_responses_and_path_parameters(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["summary"] and operation["responses"], (path, method)
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            expected = {part[1:-1] for part in path.split("/") if part.startswith("{")}
            assert declared == expected, (path, method)
            body = operation.get("requestBody")
            if body:
                reference = body["content"]["application/json"]["schema"]["$ref"]
                assert reference.rsplit("/", 1)[1] in schemas
