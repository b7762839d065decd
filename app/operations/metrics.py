"""GET /metrics (Prometheus), for the operator only (app.guards.operator)."""

from __future__ import annotations

from litestar.plugins.prometheus import PrometheusController

from app.guards import operator


class MetricsController(PrometheusController):
    """Litestar's Prometheus endpoint behind the operator guard."""

    guards = [operator]  # noqa: RUF012  (Litestar reads this class attribute)
