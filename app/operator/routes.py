"""/api/operator: the operator view's JSON twin, for OPERATOR_LOGINS only (`operator_viewer`: others get 404).

Mounted beside /api rather than inside it, so that its guard is the only one: /api's `logged_in` would check
a form's CSRF token first and tell a non-operator the route exists.
"""

from __future__ import annotations

from litestar import Router
from litestar.datastructures import ResponseHeader

from app.auth.middleware import RESPONSE_COOKIES
from app.guards import operator_viewer
from app.operator.api import get_operator_accounts, post_adjustment

router = Router(
    path="/api/operator",
    route_handlers=[get_operator_accounts, post_adjustment],
    guards=[operator_viewer],
    middleware=[RESPONSE_COOKIES],
    # Every owner's figures: never kept by a shared cache, nor by the browser.
    response_headers=[ResponseHeader(name="Cache-Control", value="private, no-store")],
    tags=["operator"],
)
