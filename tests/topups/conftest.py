"""The service with Stripe configured against the loopback FakeStripe."""

from __future__ import annotations

import pytest

from app.settings import Settings
from tests.fakes.fixtures import fake_stripe  # noqa: F401  (re-exported fixture)
from tests.fakes.stripe_fake import FakeStripe


@pytest.fixture
def settings(settings: Settings, fake_stripe: FakeStripe) -> Settings:  # noqa: F811
    return settings.model_copy(
        update={
            "stripe_secret_key": fake_stripe.api_key,
            "stripe_webhook_secret": fake_stripe.webhook_secret,
            "stripe_api_base": fake_stripe.url,
        }
    )
