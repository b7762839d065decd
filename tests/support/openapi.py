"""The service's OpenAPI document, and assertions that responses are what it documents."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from litestar import Litestar

from app.app import create_app
from app.settings import Settings

_PARAM = re.compile(r"\{(\w+):(\w+)\}")


@cache
def _app() -> Litestar:
    """The service's routes (no database is touched: the app is never started)."""
    return create_app(Settings(database_url="sqlite:///unused-openapi.db", redis_url=None))


@cache
def openapi_document() -> dict[str, Any]:
    """What /schema/openapi.json serves."""
    document: dict[str, Any] = _app().openapi_schema.to_schema()
    return document


def component(name: str) -> dict[str, Any]:
    """One of the document's component schemas."""
    schema: dict[str, Any] = openapi_document()["components"]["schemas"][name]
    return schema


def assert_matches_component(body: Any, name: str) -> None:
    """`body` is valid against the named component schema, and has no member the component leaves out."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": openapi_document()["components"]}
    Draft202012Validator(schema).validate(body)
    if isinstance(body, dict):
        assert set(body) <= set(component(name).get("properties", {})), (name, sorted(body))


def _pattern(route_path: str) -> re.Pattern[str]:
    """A Litestar path (`/r/{name:str}`, `/{owner:str}/…/{rest:path}`) as a regular expression."""
    parts, end = [], 0
    for param in _PARAM.finditer(route_path):
        parts += [re.escape(route_path[end : param.start()]), "(.+)" if param[2] == "path" else "([^/]+)"]
        end = param.end()
    return re.compile("^" + "".join([*parts, re.escape(route_path[end:])]) + "$")


@cache
def _documented_routes() -> list[tuple[re.Pattern[str], str]]:
    """(request path pattern, OpenAPI path) of every documented route, the most literal first."""
    paths = openapi_document()["paths"]
    routes = [(route.path, route.path_format) for route in _app().routes if route.path_format in paths]
    routes.sort(key=lambda route: -len(_PARAM.sub("", route[0])))
    return [(_pattern(path), path_format) for path, path_format in routes]


def documented_response(path: str, method: str, status: int) -> dict[str, Any] | None:
    """The documented response of the route that answers `method path` with `status`; None for an undocumented route."""
    for pattern, template in _documented_routes():
        if pattern.match(path):
            operation = openapi_document()["paths"][template].get(method.lower())
            if operation is None:
                return None
            response: dict[str, Any] | None = operation["responses"].get(str(status))
            assert response is not None, f"{method} {template} does not document {status}"
            return response
    return None
