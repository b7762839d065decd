"""A fast loopback OpenAI-compatible upstream for bench/api_latency.py, in its own process.

    python bench/fake_upstream.py --port 8123

`POST /v1/chat/completions` (or `/chat/completions`) answers a fixed small answer at once: a `chat.completion`
with `usage`, or with `"stream": true` an SSE stream (a role chunk, a few content chunks, a finish chunk, the
usage chunk when `stream_options.include_usage` is set, `[DONE]`). A bare ASGI app under uvicorn (uvloop,
httptools, no access log): its own cost is the floor the bench subtracts, so it must be small and steady.
Any bearer key is accepted; the body is parsed, so a malformed request is a 400 as from a real provider.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import uvicorn

ANSWER_PARTS = ("Hello", " from", " the", " fake", " upstream.")
ANSWER = "".join(ANSWER_PARTS)
PROMPT_TOKENS, COMPLETION_TOKENS = 12, len(ANSWER_PARTS)
USAGE = {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS, "total_tokens": 17}
COMPLETION_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})

Send = Any
Receive = Any


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def completion(model: str) -> bytes:
    message = {"role": "assistant", "content": ANSWER}
    return _json(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
            "usage": USAGE,
        }
    )


def stream_events(model: str, include_usage: bool) -> list[bytes]:
    head = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return b"data: " + _json({**head, "choices": [choice]}) + b"\n\n"

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": part}) for part in ANSWER_PARTS]
    events.append(chunk({}, "stop"))
    if include_usage:
        events.append(b"data: " + _json({**head, "choices": [], "usage": USAGE}) + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return events


async def _body(receive: Receive) -> bytes:
    data = bytearray()
    while True:
        message = await receive()
        data += message.get("body", b"")
        if not message.get("more_body"):
            return bytes(data)


async def _respond(send: Send, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["method"] == "GET" and scope["path"] in ("/healthz", "/v1/models"):
        await _respond(send, 200, _json({"object": "list", "data": []}))
        return
    if scope["method"] != "POST" or scope["path"] not in COMPLETION_PATHS:
        await _respond(send, 404, _json({"error": {"message": "not found", "type": "invalid_request_error"}}))
        return
    try:
        request = json.loads(await _body(receive))
        model = str(request["model"])
    except (ValueError, KeyError, TypeError):
        await _respond(send, 400, _json({"error": {"message": "bad request", "type": "invalid_request_error"}}))
        return
    if not request.get("stream"):
        await _respond(send, 200, completion(model))
        return
    options = request.get("stream_options") or {}
    events = stream_events(model, bool(options.get("include_usage")))
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for event in events:
        await send({"type": "http.response.body", "body": event, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
