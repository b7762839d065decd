"""Result routes: /r/{id} (HTML, or SSE with Accept: text/event-stream), .md/.json/.txt, /r/{id}/stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery
from litestar.response import Response, ServerSentEvent, ServerSentEventMessage

from app.accounts.visibility import Visibility, installation_of, visibility
from app.api_keys.authenticator import InvalidApiKey
from app.db.engine import Sessions
from app.db.models import Repository, Result, ResultStatus
from app.errors import Forbidden, NotFound
from app.openapi import (
    INVALID_REQUEST,
    also_as,
    documented,
    problem_responses,
    response_example,
    server_sent_events,
)
from app.pages import html_response
from app.private_repos.access import PRIVATE_HEADERS, PrivateRepo
from app.private_repos.gate import admitted_login, sign_in_offer
from app.results import repository as results_sql
from app.results.broker import EventKind, StreamEvent, TokenBroker, TooManyWatchers
from app.results.failures import public_error
from app.results.ids import is_result_id
from app.results.page import Site, result_page
from app.results.render import render_answer
from app.results.views import ResultJSON, meta_html, result_json
from app.security_headers import new_nonce
from app.settings import Settings

_TEXT_TYPES = {"md": "text/markdown; charset=utf-8", "txt": "text/plain; charset=utf-8"}
# What /r/… answers instead of a result (documented on the routes; raised by _load and the brokers).
_REFUSALS = {
    **INVALID_REQUEST,
    # A request that sends a bearer token is judged by it, also here (app.auth.identify).
    InvalidApiKey.status_code: [InvalidApiKey.code],
    403: ["results.installation_suspended"],
    404: ["results.not_found", "results.repository_gone"],
    503: [TooManyWatchers.code],
}
_STREAM_DOC = ResponseSpec(
    str,
    media_type="text/event-stream",
    generate_examples=False,
    description="Server-sent events: `delta` (text appended), `reset` (start the text again), then `done` "
    "(the rendered answer) or `error` (why it failed); `stalled` when the producer went quiet.",
)
_RESULT_EXAMPLE = {
    "id": "k3v9q2m8x4t7b1np",
    "status": "done",
    "repo": "acme/widgets",
    "branch": "main",
    "commit": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
    "context_id": "explain",
    "model": "gpt-4.1-mini",
    "text": "Run `pip install widgets`, then `widgets init`.",
    "usage": {"prompt_tokens": 5200, "completion_tokens": 410},
    "cost_usd": 0.003125,
    "paid_by": "acme",
    "cached_from": None,
    "error": None,
    "error_code": None,
    "created_at": "2026-11-28T09:30:00+00:00",
    "finished_at": "2026-11-28T09:30:04+00:00",
}
_EVENTS = server_sent_events(
    200,
    ["delta", "reset", "done", "error", "stalled"],
    data="JSON: `delta` a string of text, `done` {html, …}, `error` {message}, `reset` and `stalled` {}.",
    example={"event": "delta", "data": '"Run `pip install widgets`, "', "id": "3"},
)


@dataclass(frozen=True)
class _Loaded:
    result: Result
    repo: Repository | None
    fallback: str | None  # for a failed answer, the last good one of the same context
    private: bool  # its repository is private: sent only to this admitted visitor, kept by no shared cache

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Result-Status": self.result.status.value, **(PRIVATE_HEADERS if self.private else {})}


async def _load(request: Request, sessions: Sessions, result_id: str) -> _Loaded:
    """The result, if this visitor may see it; refused as a result that does not exist otherwise.

    Read on every request, so a repository made private or uninstalled stops here on every replica.
    """
    found = await _read(sessions, result_id) if is_result_id(result_id) else None
    if found is None:
        raise await _no_such_answer(request, result_id[:40])
    result, repo, seen, fallback = found
    if repo is None:
        return _Loaded(result, None, fallback, private=False)
    if repo.private and seen is not Visibility.PRIVATE:  # gone or suspended: no reason is given for it
        raise await _no_such_answer(request, result_id)
    _check_served(seen)
    if seen is Visibility.PRIVATE and await admitted_login(request, PrivateRepo.of(repo)) is None:
        raise await _no_such_answer(request, result_id)
    return _Loaded(result, repo, fallback, private=seen is Visibility.PRIVATE)


async def _read(
    sessions: Sessions, result_id: str
) -> tuple[Result, Repository | None, Visibility | None, str | None] | None:
    """The result, its repository and what may be seen of it, and the last good answer of a failed one."""
    async with sessions() as session:
        result = await results_sql.get_result(session, result_id)
        if result is None or not result.stored:  # an API call made without `store` keeps no page
            return None
        repo = await session.get(Repository, result.repository_id) if result.repository_id else None
        seen = visibility(repo, await installation_of(session, repo)) if repo is not None else None
        fallback = None
        if result.status == ResultStatus.FAILED and result.repository_id and result.context_id:
            last = await results_sql.last_good_result(session, result.repository_id, result.context_id)
            fallback = last.id if last else None
    return result, repo, seen, fallback


async def _no_such_answer(request: Request, result_id: str) -> NotFound:
    """An unknown answer, and one about a private repository this visitor may not read: the same answer."""
    hint, links = await sign_in_offer(request)
    detail = f"There is no answer with the id {result_id}. Check the address, or click the badge again.{hint}"
    return NotFound(detail, code="results.not_found", links=links, headers=dict(PRIVATE_HEADERS))


def _check_served(seen: Visibility | None) -> None:
    """A public repository's answer is shown while the repository is present and served by a live installation."""
    if seen is Visibility.GONE:
        raise NotFound(
            "This answer is no longer available: its repository was deleted, or the contextjson App was "
            "removed from it.",
            code="results.repository_gone",
            title="This answer is no longer available",
        )
    if seen is Visibility.SUSPENDED:
        raise Forbidden(
            "This answer is not available while the contextjson App is suspended on its repository.",
            code="results.installation_suspended",
            title="This answer is not available",
        )


@get(
    "/{name:str}",
    summary="Result page (.md, .json, .txt variants; SSE with Accept: text/event-stream)",
    responses={
        200: ResponseSpec(
            ResultJSON,
            generate_examples=False,
            description="`/r/{id}`: the page (text/html), or the event stream with `Accept: text/event-stream`; "
            "`/r/{id}.json`: this model; `/r/{id}.md`, `/r/{id}.txt`: the answer's text.",
        ),
        **problem_responses(_REFUSALS, {404: ["results.format"]}),
    },
    operation_class=documented(
        also_as(200, ["text/html", "text/markdown", "text/plain"]),
        _EVENTS,
        response_example(200, _RESULT_EXAMPLE),
        response_example(200, "Run `pip install widgets`, then `widgets init`.\n", "text/markdown"),
    ),
)
async def result_view(
    request: Request,
    name: FromPath[str],
    sessions: NamedDependency[Sessions],
    broker: NamedDependency[TokenBroker],
    settings: NamedDependency[Settings],
    older: FromQuery[str | None] = None,
) -> Response:
    """One result as HTML, Markdown, JSON, plain text or an event stream."""
    result_id, _, suffix = name.partition(".")
    if not suffix and "text/event-stream" in request.headers.get("accept", ""):
        return await _event_stream(request, sessions, broker, result_id)
    loaded = await _load(request, sessions, result_id)
    result, repo, headers = loaded.result, loaded.repo, loaded.headers
    if suffix == "json":
        return Response(result_json(result, repo), headers=headers)
    if suffix in _TEXT_TYPES:
        return Response(result.text, media_type=_TEXT_TYPES[suffix], headers=headers)
    if suffix:
        raise NotFound(f"unknown format .{suffix[:10]} (use .md, .json or .txt)", code="results.format")
    answer_html = await _answer_html(sessions, result) if result.status == ResultStatus.DONE else None
    nonce = new_nonce()
    page = result_page(
        result,
        repo,
        site=Site.of(settings),
        nonce=nonce,
        older=older,
        fallback_id=loaded.fallback,
        answer_html=answer_html,
    )
    if loaded.private:  # its links to GitHub name the private repository's files: say nothing about where from
        headers["referrer-policy"] = "no-referrer"
    return html_response(page, headers=headers, nonce=nonce)


@get(
    "/{result_id:str}/stream",
    summary="Server-sent events of a result: delta, reset, done, error",
    responses={200: _STREAM_DOC, **problem_responses(_REFUSALS)},
    operation_class=documented(_EVENTS),
)
async def result_stream(
    request: Request,
    result_id: FromPath[str],
    sessions: NamedDependency[Sessions],
    broker: NamedDependency[TokenBroker],
) -> ServerSentEvent:
    """Live tokens of a result; a finished one is sent whole at once."""
    return await _event_stream(request, sessions, broker, result_id)


async def _event_stream(request: Request, sessions: Sessions, broker: TokenBroker, result_id: str) -> ServerSentEvent:
    """Refusals (unknown, no longer public, too many watchers) get their status before the stream says 200."""
    loaded = await _load(request, sessions, result_id)
    live = None if loaded.result.status.finished else broker.subscribe(result_id)
    cache = {**PRIVATE_HEADERS} if loaded.private else {"Cache-Control": "no-cache"}
    return ServerSentEvent(_events(request, sessions, result_id, live), headers={**cache, "X-Accel-Buffering": "no"})


async def _events(
    request: Request, sessions: Sessions, result_id: str, live: AsyncIterator[StreamEvent] | None
) -> AsyncIterator[ServerSentEventMessage]:
    if live is None:
        async for message in _final(request, sessions, result_id):
            yield message
        return
    async for event in live:
        if event.kind == EventKind.DELTA:
            yield ServerSentEventMessage(event="delta", data=json.dumps(event.data), id=str(event.seq))
        elif event.kind == EventKind.RESET:
            yield ServerSentEventMessage(event="reset", data="{}", id=str(event.seq))
        else:
            async for message in _final(request, sessions, result_id, streamed=True):
                yield message
            return
    # The relay went quiet (producer gone); the browser reconnects and starts over from the database.
    yield ServerSentEventMessage(event="stalled", data="{}", retry=2000)


async def _final(
    request: Request, sessions: Sessions, result_id: str, *, streamed: bool = False
) -> AsyncIterator[ServerSentEventMessage]:
    """The end of a stream: the whole text (unless already streamed) and the rendered answer, or the error."""
    loaded = await _load(request, sessions, result_id)
    result, repo = loaded.result, loaded.repo
    if result.status == ResultStatus.FAILED:
        yield ServerSentEventMessage(
            event="error", data=json.dumps({"message": public_error(result.error_code, result.error)})
        )
        return
    if not streamed:
        yield ServerSentEventMessage(event="delta", data=json.dumps(result.text))
    html = await _answer_html(sessions, result)
    usage = {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens}
    body = {"html": html, "meta": meta_html(result, repo), "usage": usage, "status": result.status}
    yield ServerSentEventMessage(event="done", data=json.dumps(body))


async def _answer_html(sessions: Sessions, result: Result) -> str:
    """The answer's HTML as stored when it finished; rendered (off the event loop) and stored once for older rows."""
    if result.html is not None:
        return result.html
    html = await render_answer(result.text)
    async with sessions() as session:
        await results_sql.store_html(session, result.id, html)
        await session.commit()
    return html
