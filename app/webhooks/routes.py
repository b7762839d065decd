"""The webhooks router: POST /webhooks/github. Open to anyone; a delivery proves itself by its signature."""

from __future__ import annotations

from litestar import Router

from app.guards import ANONYMOUS
from app.webhooks.controller import github_webhook

router = Router(path="/webhooks", route_handlers=[github_webhook], guards=ANONYMOUS, tags=["webhooks"])
