"""The contexts router: GET /schema/context.json, the JSON Schema editors use for `"$schema"`. Public."""

from __future__ import annotations

from litestar import Router

from app.context_files.json_schema import context_json_schema
from app.guards import ANONYMOUS

router = Router(path="/", route_handlers=[context_json_schema], guards=ANONYMOUS, tags=["contexts"])
