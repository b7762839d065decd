"""POST /v1/chat/completions (and /chat/completions), GET /v1/models: OpenAI's wire format, API keys only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Response, Stream
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.api_keys.authenticator import api_key_viewer, bearer_token, invalid_key
from app.api_keys.tokens import lookup_prefix
from app.completions.accounting import Payer
from app.completions.docs import (
    COMPLETION_BODY,
    COMPLETION_OPERATION,
    COMPLETION_RESPONSES,
    MODELS_OPERATION,
    MODELS_RESPONSES,
)
from app.completions.errors import MissingApiKey, RateLimited
from app.completions.ratelimit import KeyRateLimiter
from app.completions.relay import relay, replay, start_stream
from app.completions.request import CompletionCall, parse_call
from app.completions.service import (
    CompletionClients,
    OpenCall,
    cached,
    cached_payload,
    complete,
    open_call,
    open_keyed_call,
)
from app.completions.settlements import PendingSettlements
from app.errors import AppError
from app.guards import ANONYMOUS
from app.llm import LLMClient
from app.models_catalog import ModelCatalog
from app.problems.handler import OPENAI_ERRORS
from app.settings import Settings

CACHE_HEADER = "x-cache"  # `X-Cache: use`: answer from a kept identical call, at no cost
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def api_payer(request: Request[Any, Any, State], settings: Settings) -> Payer:
    """The key's account, which pays for the call: 401 without a key, 429 when the key asks too often."""
    viewer = await api_key_viewer(request)
    if viewer is None or viewer.api_key_id is None:
        raise _missing_key()
    admission(request, settings)(viewer.api_key_id)
    (account_id,) = viewer.account_ids
    return Payer(account_id, viewer.api_key_id)


def admission(request: Request[Any, Any, State], settings: Settings) -> Callable[[int], None]:
    """A check that raises 429 when a key asks too often (counted in this process)."""
    limiter: KeyRateLimiter | None = getattr(request.app.state, "api_rate_limiter", None)
    if limiter is None:
        limiter = request.app.state.api_rate_limiter = KeyRateLimiter(settings.api_requests_per_minute)

    def admit(api_key_id: int) -> None:
        wait = limiter.retry_after(api_key_id)
        if wait is not None:
            raise RateLimited(
                f"This key made more than {settings.api_requests_per_minute} requests in a minute.", retry_after=wait
            )

    return admit


def _missing_key() -> MissingApiKey:
    return MissingApiKey(
        "You didn't provide an API key. Send it as `Authorization: Bearer <key>`; create one on the dashboard.",
        headers={"WWW-Authenticate": 'Bearer realm="contextjson"'},
    )


def _key_token(request: Request[Any, Any, State]) -> str:
    """The bearer key, checked for shape only (no database read): 401 without one or for a malformed one."""
    token = bearer_token(request)
    if token is None:
        raise _missing_key()
    if lookup_prefix(token) is None:
        raise invalid_key()
    return token


@post(
    ["/v1/chat/completions", "/chat/completions"],
    opt={"errors": OPENAI_ERRORS},
    status_code=200,
    summary="Chat completions (OpenAI-compatible)",
    responses=COMPLETION_RESPONSES,
    dependencies=COMPLETION_BODY,  # documents the body, which parse_call reads (OpenAI's error messages)
    operation_class=COMPLETION_OPERATION,
)
async def chat_completions(
    request: Request[Any, Any, State],
    settings: NamedDependency[Settings],
    sessions: NamedDependency[async_sessionmaker[AsyncSession]],
    llm: NamedDependency[LLMClient],
    catalog: NamedDependency[ModelCatalog],
    settlements: NamedDependency[PendingSettlements],
) -> Response[Any]:
    """OpenAI's chat completions, billed to the key's account; `store: true` keeps the answer at `/r/{id}`.

    The key is checked in the transaction that reserves the call (one database round instead of two); the
    errors keep their order all the same: a bad key is a 401 and a key over its rate a 429 whatever the body,
    then 400/404, then 402.
    """
    clients = CompletionClients(settings, sessions, llm, catalog, settlements)
    token = _key_token(request)
    try:
        call = parse_call(await request.body(), catalog)
    except AppError:
        await api_payer(request, settings)  # a bad key answers 401 before a bad body's 400
        raise
    if _wants_cache(request):
        return await answer_call(request, clients, call, await api_payer(request, settings))
    return await _answer(clients, await open_keyed_call(clients, call, token, admission(request, settings)))


async def answer_call(
    request: Request[Any, Any, State], clients: CompletionClients, call: CompletionCall, payer: Payer
) -> Response[Any]:
    """The response to a parsed call (plain or a context's): a kept answer on `X-Cache: use`, else the upstream's."""
    if _wants_cache(request):
        hit = await cached(clients, payer.account_id, call)
        if hit is not None:
            return _cached_answer(cached_payload(hit), call.stream, call.include_usage)
    return await _answer(clients, await open_call(clients, call, payer))


def _wants_cache(request: Request[Any, Any, State]) -> bool:
    return request.headers.get(CACHE_HEADER, "").strip().lower() == "use"


async def _answer(clients: CompletionClients, opened: OpenCall) -> Response[Any]:
    """The upstream's answer to a call whose reservation is taken."""
    call = opened.call
    if not call.stream:
        return Response(await complete(clients, opened), media_type="application/json", headers=opened.headers())
    response, upstream = await start_stream(clients, opened)
    return Stream(
        relay(clients, opened, response, upstream),
        media_type="text/event-stream",
        headers={**_SSE_HEADERS, **opened.headers()},
    )


def _cached_answer(payload: dict[str, Any], stream: bool, include_usage: bool) -> Response[Any]:
    headers = {"X-Cache": "hit"}
    if payload.get("result_url"):
        headers["X-Result-URL"] = payload["result_url"]
    if stream:
        return Stream(replay(payload, include_usage), media_type="text/event-stream", headers=_SSE_HEADERS | headers)
    return Response(payload, headers=headers)


@get(
    "/v1/models",
    opt={"errors": OPENAI_ERRORS},
    summary="Models (OpenAI-compatible)",
    responses=MODELS_RESPONSES,
    operation_class=MODELS_OPERATION,
)
async def list_models(
    request: Request[Any, Any, State],
    settings: NamedDependency[Settings],
    catalog: NamedDependency[ModelCatalog],
) -> dict[str, Any]:
    """The models this service offers, in OpenAI's list shape."""
    await api_payer(request, settings)
    return model_list(catalog)


def model_list(catalog: ModelCatalog) -> dict[str, Any]:
    """The catalog in OpenAI's list shape."""
    models = [{"id": name, "object": "model", "created": 0, "owned_by": "contextjson"} for name in catalog.models]
    return {"object": "list", "data": models}


router = Router(path="/", route_handlers=[chat_completions, list_models], guards=ANONYMOUS, tags=["completions"])
