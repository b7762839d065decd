"""GET /metrics (Prometheus), for the operator only (app.guards.operator)."""

from __future__ import annotations

from litestar import get
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.prometheus import PrometheusController
from litestar.response import Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.guards import operator
from app.openapi import documented, problem_responses, response_example

_EXAMPLE = (
    "# HELP contextjson_requests_total Total requests.\n# TYPE contextjson_requests_total counter\n"
    'contextjson_requests_total{method="GET",path="/healthz",status_code="200"} 3.0\n'
)


class MetricsController(PrometheusController):
    """Litestar's Prometheus endpoint behind the operator guard."""

    guards = [operator]  # noqa: RUF012  (Litestar reads this class attribute)

    @get(
        summary="Prometheus metrics (operator only: see METRICS_TOKEN)",
        responses={
            200: ResponseSpec(str, media_type=CONTENT_TYPE_LATEST, generate_examples=False, description="Metrics."),
            **problem_responses({401: ["metrics.unauthorized"], 403: ["metrics.forbidden"]}),
        },
        operation_class=documented(response_example(200, _EXAMPLE, CONTENT_TYPE_LATEST)),
    )
    async def get(self) -> Response:
        """Litestar's handler, documented as what it answers."""
        return await PrometheusController.get.fn(self)  # type: ignore[no-any-return]
