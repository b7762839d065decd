"""The Stripe client is a typed dependency like the others, and /webhooks/stripe is documented in /schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar import get
from litestar.di import NamedDependency
from litestar.testing import TestClient

from app.app import create_app
from app.db.migrate import upgrade
from app.settings import Settings
from app.topups.stripe_api import StripeGateway
from tests.support.openapi import openapi_document


def test_handlers_get_the_process_stripe_client_by_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)

    @get("/probe-stripe", sync_to_thread=False)
    def probe(stripe: NamedDependency[StripeGateway]) -> dict[str, Any]:
        return {"type": type(stripe).__name__, "configured": stripe.configured, "id": id(stripe)}

    configured = Settings(database_url=url, public_url="http://127.0.0.1:8000", stripe_secret_key="sk_test_x")
    for settings, expected in ((configured, True), (configured.model_copy(update={"stripe_secret_key": None}), False)):
        app = create_app(settings)
        app.register(probe)
        with TestClient(app) as client:
            first, second = client.get("/probe-stripe").json(), client.get("/probe-stripe").json()
        assert (first["type"], first["configured"]) == ("StripeGateway", expected)
        assert first["id"] == second["id"] == id(app.state.clients.stripe)  # one client per process


@pytest.mark.parametrize("status", ["400", "413", "503"])
def test_the_webhook_route_documents_its_answers(status: str) -> None:
    operation = openapi_document()["paths"]["/webhooks/stripe"]["post"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StripeReceipt"
    }
    assert operation["responses"][status]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
    }
    codes = {"400": "`stripe.bad_signature`", "413": "`webhooks.too_large`", "503": "`stripe.webhook_not_configured`"}
    assert codes[status] in operation["responses"][status]["description"]
