"""The operations router: probes are open to anyone (they reveal nothing), /metrics to the operator only."""

from __future__ import annotations

from litestar import Router

from app.guards import ANONYMOUS
from app.operations.health import healthz, livez
from app.operations.metrics import MetricsController

router = Router(path="/", route_handlers=[livez, healthz, MetricsController], guards=ANONYMOUS, tags=["operations"])
