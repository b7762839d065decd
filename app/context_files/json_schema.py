"""The JSON Schema (2020-12) of context.json, built from the validator's own limits, served at a stable URL.

Editors use it through `"$schema"`. It accepts exactly what `validate_context_json` accepts, except for
what JSON Schema cannot see (docs/context-json.md lists these): repeated keys, `\\u0000` and unpaired
surrogate escapes, nesting deeper than MAX_DEPTH, integral numbers written with a fraction (`5.0`),
and the validator's limits on how complex a path pattern may be. The served copy also lists the
operator's models.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from functools import lru_cache
from typing import Any

from litestar import get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response

from app.context_files.validation import ID_PATTERN, MAX_INT, MAX_PATTERNS, MAX_PROMPT_CHARS, MAX_SUMMARY_CHARS
from app.models_catalog import ModelCatalog
from app.repo_context.globs import MAX_PATTERN_CHARS
from app.settings import Settings

SCHEMA_PATH = "/schema/context.json"
SCHEMA_MEDIA_TYPE = "application/schema+json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# End of text in both ECMA-262 and Python regexes (Python's `$` also matches before a final newline).
_END = r"(?![\s\S])"
# Relative to the repository root: not absolute, no ".." segment, no control characters.
_RELATIVE = r"(?![/\\]|[A-Za-z]:)(?![\s\S]*(?:^|[/\\])\.\.(?:[/\\]|" + _END + r"))[^\x00-\x1f]*" + _END
# A glob segment may not end in an unpaired backslash (it would escape nothing): no odd run of
# backslashes right before a "/" or before the end of the trimmed pattern.
_NO_LONE_BACKSLASH = r"(?![\s\S]*?(?:^|[^\\])(?:\\\\)*\\(?:/|\s*" + _END + r"))"
# Python's str.strip() and a Python regex's \s agree on what whitespace is.
_TRIMMED_LENGTH = rf"^\s*\S(?:[\s\S]{{0,{MAX_SUMMARY_CHARS - 2}}}\S)?\s*{_END}"


def _positive_int(description: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_INT, "description": description}


def _patterns(description: str) -> dict[str, Any]:
    return {"type": "array", "maxItems": MAX_PATTERNS, "items": {"$ref": "#/$defs/pattern"}, "description": description}


def _entry(models: Collection[str] | None) -> dict[str, Any]:
    model: dict[str, Any] = {"type": "string", "description": "One of the models the service offers (its MODELS_FILE)."}
    if models is not None:
        model["enum"] = sorted(models)
    return {
        "type": "object",
        "required": ["summary"],
        "additionalProperties": False,
        "properties": {
            "summary": {
                "type": "string",
                "pattern": _TRIMMED_LENGTH,
                "description": f"Shown on the badge and the check run; 1 to {MAX_SUMMARY_CHARS} characters once "
                "leading and trailing whitespace is trimmed.",
            },
            "prompt": {
                "type": "string",
                "maxLength": MAX_PROMPT_CHARS,
                "description": "The instruction sent with the repository context; {{owner}}, {{repo}} and "
                "{{branch}} are substituted.",
            },
            "basePath": {"$ref": "#/$defs/relativePath", "description": "Only files under this directory."},
            "pathPatterns": _patterns("Files to include (gitignore-style globs, {a,b} braces); default: all."),
            "excludePathPatterns": _patterns("Files to leave out (gitignore-style globs, {a,b} braces)."),
            "maxFileSize": _positive_int("Files larger than this many bytes are left out."),
            "model": model,
            "maxTokens": _positive_int("Cap on the answer's length, in tokens."),
            "pluginId": {"description": "Accepted and kept (public context.json format)."},
            "attribution": {"description": "Accepted and kept (public context.json format)."},
        },
    }


def context_schema(models: Collection[str] | None = None, schema_id: str | None = None) -> dict[str, Any]:
    """The schema document; `models` restricts `model` to the operator's list."""
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "title": "context.json",
        "description": "Context entries a contextjson service can answer questions with.",
        "type": "object",
        "required": ["context"],
        "additionalProperties": False,
        "properties": {
            "$schema": {"type": "string"},
            "extends": {"type": ["string", "array"], "items": {"type": "string"}},
            "context": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": f"^(?:{ID_PATTERN.pattern}){_END}"},
                "additionalProperties": {"$ref": "#/$defs/entry"},
                "description": "Entries keyed by id: 1 to 64 of a-z, 0-9, '-' and '_', starting with a-z or 0-9.",
            },
            "attribution": {"description": "Accepted and kept (public context.json format)."},
        },
        "$defs": {
            "entry": _entry(models),
            "relativePath": {"type": "string", "pattern": "^" + _RELATIVE},
            "pattern": {
                "type": "string",
                "maxLength": MAX_PATTERN_CHARS,
                "pattern": r"^(?=[\s\S]*\S)" + _NO_LONE_BACKSLASH + _RELATIVE,
            },
        },
    }
    if schema_id:
        schema = {"$id": schema_id, **schema}
    return schema


@lru_cache(maxsize=4)
def _schema_bytes(models: tuple[str, ...], schema_id: str) -> bytes:
    return json.dumps(context_schema(models, schema_id), indent=2).encode()


@get(
    SCHEMA_PATH,
    summary="JSON Schema of context.json",
    sync_to_thread=False,
    responses={
        200: ResponseSpec(
            dict[str, Any],
            media_type=SCHEMA_MEDIA_TYPE,
            generate_examples=False,
            description="A JSON Schema (2020-12) document; its `$id` is this address.",
        )
    },
)
def context_json_schema(catalog: NamedDependency[ModelCatalog], settings: NamedDependency[Settings]) -> Response[bytes]:
    """The schema, with this service's URL as `$id` and its models as the allowed `model` values."""
    body = _schema_bytes(tuple(sorted(catalog.models)), settings.public_base + SCHEMA_PATH)
    return Response(body, media_type=SCHEMA_MEDIA_TYPE, headers={"Cache-Control": "public, max-age=3600"})
