"""The problem document's shape, for the OpenAPI document (`render.problem_document` writes it)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType


class ProblemDetails(Struct, kw_only=True):
    """An error as `application/problem+json` (RFC 9457), with the service's stable dotted `code`."""

    type: Annotated[Literal["about:blank"], Meta(description="Always about:blank: match on `code` instead.")]
    title: Annotated[str, Meta(description="A short title, for people; may change.")]
    status: Annotated[int, Meta(description="The HTTP status of the response.", ge=400, le=599)]
    detail: Annotated[str, Meta(description="What went wrong, for people; may change.")]
    code: Annotated[str, Meta(description="The stable, dotted name of the error.", examples=["link.rate_limited"])]
    error: Annotated[str, Meta(description="Deprecated: the same as `code`, for clients of the earlier body.")]
    retry_after: Annotated[int, Meta(description="Seconds to wait (also sent as Retry-After).")] | UnsetType = UNSET
    errors: Annotated[list[Any], Meta(description="Which parameter was invalid, and why.")] | UnsetType = UNSET
