"""OpenAPI documentation of what a handler's signature cannot say: problems, redirects, other formats, event
streams, bodies a handler reads itself, headers, examples.

Route decorators use these (`responses=`, `operation_class=documented(…steps)`,
`dependencies=documented_body(…)`). Metadata only: nothing here runs while a request is answered; the
document is built once, when `/schema` is first asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from litestar.di import Provide
from litestar.enums import ParamType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.base import BaseSchemaObject
from litestar.params import Body

from app.errors import AppError
from app.problems.problem import title_for
from app.problems.render import PROBLEM_JSON
from app.problems.schema import ProblemDetails

# Litestar documents a 400 with a body of its own on every route with parameters; ours answer a problem.
INVALID_REQUEST = {400: ["http.invalid_request"]}


def problem_responses(*groups: Mapping[int, Iterable[str]]) -> dict[int, ResponseSpec]:
    """The problem documents a route answers, by status, naming their codes (for a route's `responses=`)."""
    merged: dict[int, set[str]] = {}
    for group in groups:
        for status, codes in group.items():
            merged.setdefault(status, set()).update(codes)
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            media_type=PROBLEM_JSON,
            generate_examples=False,
            description=f"{title_for(status)}: "
            + ", ".join(f"`{code}`" for code in sorted(codes))
            + " (browsers that prefer HTML get a page instead).",
        )
        for status, codes in sorted(merged.items())
    }


def codes_by_status(*errors: type[AppError]) -> dict[int, list[str]]:
    """The codes of these error classes, grouped by their status."""
    grouped: dict[int, list[str]] = {}
    for error in errors:
        grouped.setdefault(error.status_code, []).append(error.code)
    return grouped


_LOCATION = OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING), description="Where to go instead.", required=True)


# One change to an operation Litestar generated; `documented` applies several in order.
OperationStep = Callable[[Operation], None]


def documented(*steps: OperationStep) -> type[Operation]:
    """An Operation class (for a route's `operation_class=`) that applies these steps to the generated operation."""

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            for step in steps:
                step(self)

    return DocumentedOperation


def redirects(operation: Operation) -> None:
    """The 3xx answers carry a Location header and no body (a ResponseSpec cannot say so)."""
    for status, response in (operation.responses or {}).items():
        if status.startswith("3") and isinstance(response, OpenAPIResponse):
            response.content = None
            response.headers = {"Location": _LOCATION}
    if operation.responses:
        operation.responses = dict(sorted(operation.responses.items()))  # the redirect first, not after the 400


def parameter_examples(**examples: str) -> OperationStep:
    """Realistic values of path or query parameters (a client's example phase tries them first)."""

    def step(operation: Operation) -> None:
        for parameter in operation.parameters or []:
            if isinstance(parameter, Parameter) and parameter.name in examples:
                parameter.example = examples[parameter.name]

    return step


def also_as(status: int, media_types: Iterable[str]) -> OperationStep:
    """The `status` answer may also come as these text formats (a page, a download), listed first."""
    alternatives = tuple(media_types)

    def step(operation: Operation) -> None:
        response = _response(operation, status)
        text = {media: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)) for media in alternatives}
        response.content = {**text, **(response.content or {})}

    return step


def server_sent_events(status: int, names: Iterable[str], data: str, example: Mapping[str, Any]) -> OperationStep:
    """The `status` answer may be an event stream: its schema describes one event, as OpenAPI 3.1 reads it."""
    event_names = list(names)
    event = Schema(
        type=OpenAPIType.STRING,
        enum=event_names or None,
        description="The event's name" + ("." if event_names else " (none: a plain `message`)."),
    )
    schema = Schema(
        type=OpenAPIType.OBJECT,
        required=["data"],
        properties={
            "data": Schema(type=OpenAPIType.STRING, description=data),
            "event": event,
            "id": Schema(type=OpenAPIType.STRING, description="Where a reconnecting client resumes."),
            "retry": Schema(type=OpenAPIType.INTEGER, description="Milliseconds to wait before reconnecting."),
        },
    )

    def step(operation: Operation) -> None:
        response = _response(operation, status)
        media = OpenAPIMediaType(schema=schema, example=_Verbatim(dict(example)))
        response.content = {**(response.content or {}), "text/event-stream": media}

    return step


@dataclass
class _Verbatim(BaseSchemaObject):
    """An example kept as written: Litestar leaves out None members of the spec's dicts, also the `null`s of
    an example, which would then miss required members."""

    value: Any

    # Any JSON value, not only an object.
    def to_schema(self) -> Any:  # type: ignore[override]
        return self.value


def response_example(status: int, example: Any, media_type: str = "application/json") -> OperationStep:
    """A realistic answer for `status` (shown in the document, and sent by schemathesis' example phase)."""

    def step(operation: Operation) -> None:
        content = _response(operation, status).content or {}
        content[media_type].example = _Verbatim(example)

    return step


def request_example(example: Any, media_type: str = "application/json") -> OperationStep:
    """A realistic request body, for people reading the document and for clients that try it."""

    def step(operation: Operation) -> None:
        body = operation.request_body
        assert isinstance(body, RequestBody), f"{operation.operation_id} documents no request body"
        body.content[media_type].example = _Verbatim(example)

    return step


def header_parameters(*parameters: Parameter) -> OperationStep:
    """Headers a handler reads itself (so Litestar cannot list them): a webhook's signature, its event name."""

    def step(operation: Operation) -> None:
        operation.parameters = [*(operation.parameters or []), *parameters]

    return step


def response_header(status: int, name: str, description: str, *, required: bool = False) -> OperationStep:
    """A header the `status` answer carries (`Retry-After`, `X-Result-URL`, …)."""

    def step(operation: Operation) -> None:
        response = _response(operation, status)
        described = OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING), description=description, required=required)
        response.headers = {**(response.headers or {}), name: described}

    return step


def header(name: str, description: str, example: str) -> Parameter:
    """A required request header, for `header_parameters`."""
    return Parameter(
        name=name,
        param_in=ParamType.HEADER,
        required=True,
        description=description,
        schema=Schema(type=OpenAPIType.STRING),
        example=example,
    )


def _response(operation: Operation, status: int) -> OpenAPIResponse:
    response = (operation.responses or {}).get(str(status))
    assert isinstance(response, OpenAPIResponse), f"{operation.operation_id} documents no {status} answer"
    return response


def documented_body(model: Any, media_type: str = "application/json") -> dict[str, Provide]:
    """`dependencies=` that document the body a handler reads itself (raw bytes: exact errors, no double parse).

    Litestar describes a request body from a `data` parameter, also one of a dependency's. The handler never
    names this dependency, so it is never resolved: the body is documented and left for the handler to read.
    """

    def reads_its_own_body(data: Any) -> None:  # pragma: no cover  (never called, see above)
        """Documentation only."""

    reads_its_own_body.__annotations__ = {"data": Annotated[model, Body(media_type=media_type)], "return": None}
    return {"documented_request_body": Provide(reads_its_own_body, sync_to_thread=False)}
