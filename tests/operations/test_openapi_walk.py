"""A walk over every operation of /schema/openapi.json (new routes included, without listing them here): each
says what it answers, with a schema per content type; each that takes a body describes it; JSON bodies
and answers carry an example, and every example in the document is valid against its schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator

from tests.support.openapi import openapi_document

METHODS = {"get", "put", "post", "delete", "patch"}
WITH_BODY = {"post", "put", "patch"}
# Statuses that carry no body by definition.
NO_CONTENT = {"204", "301", "302", "303", "304", "307", "308"}
# Operations that change something without a request body (none yet): each needs its reason.
TAKES_NO_BODY: dict[tuple[str, str], str] = {}


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _is_json(media_type: str) -> bool:
    return media_type.split(";")[0].strip() in {"application/json", "application/problem+json"}


def _examples(media: dict[str, Any]) -> list[Any]:
    found = [media["example"]] if "example" in media else []
    return found + [example["value"] for example in (media.get("examples") or {}).values() if "value" in example]


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    document = openapi_document()
    return Draft202012Validator(
        {**schema, "components": document["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _media(operation: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, media type, media object) of the request body and of every response."""
    body = operation.get("requestBody") or {}
    for media_type, media in (body.get("content") or {}).items():
        yield "request", media_type, media
    for status, response in operation["responses"].items():
        for media_type, media in (response.get("content") or {}).items():
            yield status, media_type, media


def test_there_is_something_to_walk() -> None:
    operations = list(_operations())
    assert len(operations) >= 25
    assert {("/v1/chat/completions", "post"), ("/api/keys", "post"), ("/webhooks/stripe", "post")} <= {
        (path, method) for path, method, _ in operations
    }


def test_every_answer_says_what_it_is() -> None:
    missing = []
    for path, method, operation in _operations():
        assert operation["responses"], (path, method)
        for status, response in operation["responses"].items():
            if status in NO_CONTENT:
                assert not response.get("content"), (path, method, status)
                continue
            content = response.get("content") or {}
            if not content or any("schema" not in media for media in content.values()):
                missing.append((path, method, status))
    assert missing == []


def test_every_change_describes_its_body() -> None:
    missing = []
    for path, method, operation in _operations():
        if method not in WITH_BODY or (path, method) in TAKES_NO_BODY:
            continue
        content = (operation.get("requestBody") or {}).get("content") or {}
        if not content or any("schema" not in media for media in content.values()):
            missing.append((path, method))
    assert missing == []


def test_json_bodies_and_answers_have_examples() -> None:
    """What a reader copies first: every JSON request body and every successful JSON answer."""
    missing = []
    for path, method, operation in _operations():
        for where, media_type, media in _media(operation):
            wanted = where == "request" or where.startswith("2")
            if wanted and _is_json(media_type) and not _examples(media):
                missing.append((path, method, where))
    assert missing == []


def test_every_example_is_valid_against_its_schema() -> None:
    checked, invalid = 0, []
    for path, method, operation in _operations():
        for where, media_type, media in _media(operation):
            for example in _examples(media):
                checked += 1
                errors = [error.message for error in _validator(media["schema"]).iter_errors(example)]
                if errors:
                    invalid.append((path, method, where, media_type, errors[:3]))
        for parameter in operation.get("parameters") or []:
            if "example" in parameter:
                checked += 1
                if list(_validator(parameter["schema"]).iter_errors(parameter["example"])):
                    invalid.append((path, method, parameter["name"]))
    for name, schema in openapi_document()["components"]["schemas"].items():
        for example in schema.get("examples") or []:
            checked += 1
            if list(_validator({"$ref": f"#/components/schemas/{name}"}).iter_errors(example)):
                invalid.append((name, example))
    assert invalid == []
    assert checked >= 30


def test_money_in_the_api_is_a_decimal_string() -> None:
    """Every `…_usd` member of an /api answer is a string (exact), never a float. (Bodies sent to /api may
    also give an amount as a number, for convenience; what the service says is always exact.)"""
    document = openapi_document()
    floats = []

    def walk(schema: Any, where: str) -> None:
        if isinstance(schema, dict):
            for name, member in (schema.get("properties") or {}).items():
                if name.endswith("_usd") and "number" in str(member):
                    floats.append(f"{where}.{name}")
            for value in schema.values():
                walk(value, where)
        elif isinstance(schema, list):
            for value in schema:
                walk(value, where)

    for path, _method, operation in _operations():
        if path.startswith("/api/"):
            for where, _, media in _media(operation):
                if where == "request":
                    continue
                schema = media.get("schema", {})
                ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
                walk(document["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema, path)
    assert floats == []
