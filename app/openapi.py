"""OpenAPI documentation of what a handler's return type cannot say: problems, redirects, other formats.

Route decorators use these (`responses=`, `operation_class=`). Metadata only: nothing here runs while a
request is answered; the document is built once, when `/schema` is first asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIHeader, OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema

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


@dataclass
class RedirectOperation(Operation):
    """An operation whose 3xx answers carry a Location header and no body (a ResponseSpec cannot say so)."""

    def __post_init__(self) -> None:
        for status, response in (self.responses or {}).items():
            if status.startswith("3") and isinstance(response, OpenAPIResponse):
                response.content = None
                response.headers = {"Location": _LOCATION}
        if self.responses:
            self.responses = dict(sorted(self.responses.items()))  # the redirect first, not after the 400


def text_alternatives(status: int, media_types: Iterable[str]) -> type[Operation]:
    """An Operation class whose `status` answer also lists these text formats (one route, several variants)."""
    alternatives = tuple(media_types)

    @dataclass
    class AlternativesOperation(Operation):
        def __post_init__(self) -> None:
            response = (self.responses or {}).get(str(status))
            if isinstance(response, OpenAPIResponse):
                text = {media: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)) for media in alternatives}
                response.content = {**text, **(response.content or {})}

    return AlternativesOperation
