"""Result routes: /r/{id} (HTML, or SSE with Accept: text/event-stream), .md/.json/.txt, /r/{id}/stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery
from litestar.response import Response, ServerSentEvent, ServerSentEventMessage

from app.accounts.visibility import Visibility, installation_of, visibility
from app.db.engine import Sessions
from app.db.models import Installation, Repository, Result, ResultStatus
from app.errors import Forbidden, NotFound
from app.openapi import INVALID_REQUEST, problem_responses, text_alternatives
from app.pages import html_response
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
    403: ["results.repository_private", "results.installation_suspended"],
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


async def _load(sessions: Sessions, result_id: str) -> tuple[Result, Repository | None, str | None]:
    """The result, its repository, and (for budget failures) the last good answer of the same context."""
    if not is_result_id(result_id):
        raise NotFound(_no_such_answer(result_id[:40]), code="results.not_found")
    async with sessions() as session:
        result = await results_sql.get_result(session, result_id)
        if result is None or not result.stored:  # an API call made without `store` keeps no page
            raise NotFound(_no_such_answer(result_id), code="results.not_found")
        repo = await session.get(Repository, result.repository_id) if result.repository_id else None
        if repo is not None:
            # Read on every request, so a repository made private or uninstalled stops here on every replica.
            _check_still_public(repo, await installation_of(session, repo))
        fallback = None
        if result.status == ResultStatus.FAILED and result.repository_id and result.context_id:
            last = await results_sql.last_good_result(session, result.repository_id, result.context_id)
            fallback = last.id if last else None
    return result, repo, fallback


def _no_such_answer(result_id: str) -> str:
    return f"There is no answer with the id {result_id}. Check the address, or click the badge again."


def _check_still_public(repo: Repository, installation: Installation | None) -> None:
    """An answer is public only while its repository is public, present and served by a live installation."""
    seen = visibility(repo, installation)
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
    if seen is Visibility.PRIVATE:
        raise Forbidden(
            "This answer is about a repository that is now private, so it is no longer shown publicly.",
            code="results.repository_private",
            title="This repository is private now",
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
    operation_class=text_alternatives(200, ["text/html", "text/markdown", "text/plain", "text/event-stream"]),
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
        return await _event_stream(sessions, broker, result_id)
    result, repo, fallback = await _load(sessions, result_id)
    headers = {"X-Result-Status": result.status.value}
    if suffix == "json":
        return Response(result_json(result, repo), headers=headers)
    if suffix in _TEXT_TYPES:
        return Response(result.text, media_type=_TEXT_TYPES[suffix], headers=headers)
    if suffix:
        raise NotFound(f"unknown format .{suffix[:10]} (use .md, .json or .txt)", code="results.format")
    answer_html = await _answer_html(sessions, result) if result.status == ResultStatus.DONE else None
    nonce = new_nonce()
    page = result_page(
        result, repo, site=Site.of(settings), nonce=nonce, older=older, fallback_id=fallback, answer_html=answer_html
    )
    return html_response(page, headers=headers, nonce=nonce)


@get(
    "/{result_id:str}/stream",
    summary="Server-sent events of a result: delta, reset, done, error",
    responses={200: _STREAM_DOC, **problem_responses(_REFUSALS)},
)
async def result_stream(
    result_id: FromPath[str], sessions: NamedDependency[Sessions], broker: NamedDependency[TokenBroker]
) -> ServerSentEvent:
    """Live tokens of a result; a finished one is sent whole at once."""
    return await _event_stream(sessions, broker, result_id)


async def _event_stream(sessions: Sessions, broker: TokenBroker, result_id: str) -> ServerSentEvent:
    """Refusals (unknown, no longer public, too many watchers) get their status before the stream says 200."""
    result, _, _ = await _load(sessions, result_id)
    live = None if result.status.finished else broker.subscribe(result_id)
    return ServerSentEvent(
        _events(sessions, result_id, live), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


async def _events(
    sessions: Sessions, result_id: str, live: AsyncIterator[StreamEvent] | None
) -> AsyncIterator[ServerSentEventMessage]:
    if live is None:
        async for message in _final(sessions, result_id):
            yield message
        return
    async for event in live:
        if event.kind == EventKind.DELTA:
            yield ServerSentEventMessage(event="delta", data=json.dumps(event.data), id=str(event.seq))
        elif event.kind == EventKind.RESET:
            yield ServerSentEventMessage(event="reset", data="{}", id=str(event.seq))
        else:
            async for message in _final(sessions, result_id, streamed=True):
                yield message
            return
    # The relay went quiet (producer gone); the browser reconnects and starts over from the database.
    yield ServerSentEventMessage(event="stalled", data="{}", retry=2000)


async def _final(
    sessions: Sessions, result_id: str, *, streamed: bool = False
) -> AsyncIterator[ServerSentEventMessage]:
    """The end of a stream: the whole text (unless already streamed) and the rendered answer, or the error."""
    result, repo, _ = await _load(sessions, result_id)
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
