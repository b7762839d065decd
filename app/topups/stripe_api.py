"""The Stripe API as this process uses it: one SDK client over one pooled httpx connection, created once.

STRIPE_API_BASE points it elsewhere (a loopback fake in tests). Services are handed this object, so a
service started without Stripe keys still starts and only top-ups answer with a clear 503.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import stripe

from app.errors import AppError
from app.settings import Settings

log = logging.getLogger("contextjson.topups")

_TIMEOUT_SECONDS = 30.0
# The SDK retries connection errors, 409s and 5xx with the same idempotency key, so a retry never pays twice.
_NETWORK_RETRIES = 2


class StripeNotConfigured(AppError):
    status_code = 503
    code = "stripe.not_configured"
    title = "Stripe is not configured"


class StripeUnavailable(AppError):
    status_code = 502
    code = "stripe.unavailable"
    title = "Stripe did not answer as expected"


@dataclass(frozen=True)
class CheckoutSession:
    """The parts of a Checkout Session the service reads."""

    id: str
    url: str | None
    status: str | None  # open, complete, expired
    payment_status: str | None  # paid, unpaid, no_payment_required
    amount_total: int | None


class AsyncHTTPXClient(stripe.HTTPClient):
    """The SDK's HTTP client interface over one pooled httpx.AsyncClient (async calls only).

    The SDK's own HTTPXClient hands httpx the encoded form as `data=`, which httpx deprecates; this one
    sends it as `content=`. The SDK does the retries; this only reports a failed connection as retryable.
    """

    name = "httpx"

    def __init__(self, timeout: float):
        super().__init__()
        self._client = httpx.AsyncClient(timeout=timeout)

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        try:
            response = await self._client.request(method, url, headers=dict(headers), content=post_data or None)
        except httpx.HTTPError as exc:
            raise stripe.APIConnectionError(
                f"Stripe could not be reached ({type(exc).__name__})", should_retry=True
            ) from exc
        return response.content, response.status_code, response.headers

    def sleep_async(self, secs: float) -> Any:
        return asyncio.sleep(secs)

    async def close_async(self) -> None:
        await self._client.aclose()


class StripeGateway:
    """Checkout Session calls through the stripe SDK (async API, httpx under it)."""

    def __init__(self, settings: Settings):
        self._http: AsyncHTTPXClient | None = None
        self._client: stripe.StripeClient | None = None
        if settings.stripe_secret_key:
            self._http = AsyncHTTPXClient(_TIMEOUT_SECONDS)
            self._client = stripe.StripeClient(
                settings.stripe_secret_key,
                base_addresses={"api": settings.stripe_api_base.rstrip("/")},
                http_client=self._http,
                max_network_retries=_NETWORK_RETRIES,
            )

    @property
    def configured(self) -> bool:
        return self._client is not None

    def _require(self) -> stripe.StripeClient:
        if self._client is None:
            raise StripeNotConfigured("STRIPE_SECRET_KEY is not set: top-ups are not available on this service.")
        return self._client

    async def create_checkout_session(self, params: dict[str, Any]) -> CheckoutSession:
        """POST /v1/checkout/sessions; Stripe's refusals and outages become a clear AppError."""
        client = self._require()
        try:
            created = await client.v1.checkout.sessions.create_async(params)  # type: ignore[arg-type]
        except stripe.StripeError as exc:
            raise _app_error(exc, "create a Checkout Session") from exc
        return _session(created)

    async def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        """GET /v1/checkout/sessions/{id}."""
        client = self._require()
        try:
            found = await client.v1.checkout.sessions.retrieve_async(session_id)
        except stripe.StripeError as exc:
            raise _app_error(exc, "read a Checkout Session") from exc
        return _session(found)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close_async()


def _session(obj: stripe.StripeObject) -> CheckoutSession:
    data = obj.to_dict()
    return CheckoutSession(
        id=str(data["id"]),
        url=data.get("url"),
        status=data.get("status"),
        payment_status=data.get("payment_status"),
        amount_total=data.get("amount_total"),
    )


def _app_error(exc: stripe.StripeError, doing: str) -> AppError:
    """What the owner is told; Stripe's own message (which may quote key fragments) goes to the log only."""
    log.warning(
        "stripe.request_failed doing=%r status=%s error=%s code=%s request_id=%s",
        doing,
        exc.http_status,
        type(exc).__name__,
        exc.code,
        exc.request_id,
    )
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return StripeNotConfigured("Stripe refused this service's STRIPE_SECRET_KEY; top-ups are not available.")
    if isinstance(exc, stripe.APIConnectionError) or (exc.http_status or 0) >= 500:
        return StripeUnavailable(f"Stripe could not be reached to {doing}. Nothing was charged; please try again.")
    return StripeUnavailable(f"Stripe refused to {doing}. Nothing was charged.")
