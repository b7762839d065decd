"""Pure validation of `context.json` files: bytes in, parsed entries and every problem with its path out."""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Any

from app.context_files.json_paths import FILE_PATH, ROOT_PATH, child_path, item_path
from app.context_files.json_paths import quote_text as _quote
from app.context_files.locations import locate
from app.repo_context.glob_checks import CheckBudget, check_patterns

MAX_SUMMARY_CHARS = 70
MAX_PROMPT_CHARS = 16_000
MAX_PATTERNS = 200
# Integers end up in SQL columns and HTTP parameters; anything above int32 is a typo, not a real limit.
MAX_INT = 2**31 - 1
# Real files nest four or five levels; deeper input would only trip recursion limits of later consumers.
MAX_DEPTH = 32

# A context id: the key of an entry in "context", and part of its visitor link (also the JSON Schema's rule).
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
ID_MESSAGE = 'invalid id: use 1 to 64 characters from a-z, 0-9, "-" and "_", starting with a letter or digit'

_UTF8_BOM = b"\xef\xbb\xbf"
_JSON_WHITESPACE = " \t\r\n"
_PROMPT_VARIABLE = re.compile(r"\{\{\s*(owner|repo|branch)\s*\}\}")
_ROOT_KEYS = ("$schema", "extends", "context", "attribution")
_MAX_ECHO_CHARS = 60
# ... and Postgres JSONB also refuses \u0000, so a document holding either is not handed out for storage.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_UNSTORABLE_MESSAGE = "contains a \\u0000 or unpaired surrogate (\\ud800-\\udfff) escape"
# Order matters: bool before int, because bool is an int subclass.
_JSON_TYPES: tuple[tuple[Any, str], ...] = (
    (type(None), "null"),
    (bool, "boolean"),
    ((int, float), "number"),
    (str, "string"),
    (list, "array"),
)


def is_context_id(value: str) -> bool:
    """Whether `value` is a valid context id (ID_PATTERN, the whole string)."""
    return ID_PATTERN.fullmatch(value) is not None


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in a context.json, located by a dotted JSON path (or line and column)."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None
    # First and last line of what a JSON path names, for annotations; not part of what the issue says.
    lines: tuple[int, int] | None = field(default=None, compare=False)

    def __str__(self) -> str:
        line = f"line {self.line}" if self.line is not None else ""
        column = f"column {self.column}" if self.column is not None else ""
        location = ", ".join(part for part in (line, column) if part)
        return f"{self.path}: {location}: {self.message}" if location else f"{self.path}: {self.message}"


@dataclass(frozen=True)
class ContextEntry:
    """One valid entry of `context`, keyed by its id."""

    id: str
    summary: str
    prompt: str = ""
    base_path: str | None = None
    path_patterns: tuple[str, ...] = ()
    exclude_path_patterns: tuple[str, ...] = ()
    max_file_size: int | None = None
    model: str | None = None
    max_tokens: int | None = None
    # Excluded from hashing: a dict is unhashable, and the other fields already identify the entry.
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The entry in context.json form plus its `id`; optional fields are left out when unset."""
        out: dict[str, Any] = {"id": self.id, "summary": self.summary}
        optional: dict[str, Any] = {
            "prompt": self.prompt or None,
            "basePath": self.base_path,
            "pathPatterns": list(self.path_patterns) or None,
            "excludePathPatterns": list(self.exclude_path_patterns) or None,
            "maxFileSize": self.max_file_size,
            "model": self.model,
            "maxTokens": self.max_tokens,
        }
        out.update({key: value for key, value in optional.items() if value is not None})
        for key, value in self.extra.items():
            out.setdefault(key, copy.deepcopy(value))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContextEntry:
        """Rebuild an entry from `to_dict` output (trusted data: no validation here)."""
        return cls(
            id=data["id"],
            summary=data["summary"],
            prompt=data.get("prompt") or "",
            base_path=data.get("basePath"),
            path_patterns=tuple(data.get("pathPatterns") or ()),
            exclude_path_patterns=tuple(data.get("excludePathPatterns") or ()),
            max_file_size=data.get("maxFileSize"),
            model=data.get("model"),
            max_tokens=data.get("maxTokens"),
            extra={k: copy.deepcopy(v) for k, v in data.items() if k != "id" and k not in _TYPED_KEYS},
        )


@dataclass(frozen=True)
class ValidationResult:
    """The parsed document, the entries that passed, and every issue found."""

    # None unless the file is a JSON object whose strings can all be stored (no \u0000, no lone surrogates).
    document: dict[str, Any] | None
    entries: dict[str, ContextEntry]
    issues: list[ValidationIssue]

    @property
    def ok(self) -> bool:
        """True when the file has no issue at all."""
        return not self.issues


def render_prompt(prompt: str, *, owner: str, repo: str, branch: str) -> str:
    """Substitute `{{owner}}`, `{{repo}}` and `{{branch}}`; other `{{...}}` stay as written."""
    values = {"owner": owner, "repo": repo, "branch": branch}
    # A function replacement, so backslashes in values are literal and substituted text is not rescanned.
    return _PROMPT_VARIABLE.sub(lambda match: values[match.group(1)], prompt)


def validate_context_json(raw: bytes, known_models: Collection[str]) -> ValidationResult:
    """Parse and check a context.json; never raises, every problem is an issue."""
    try:
        return _validate(bytes(raw), known_models)
    except Exception as exc:  # a validator bug must still give the owner an answer, not a crashed job
        return _failed(ValidationIssue(FILE_PATH, f"could not be validated ({type(exc).__name__})"))


def _failed(issue: ValidationIssue) -> ValidationResult:
    return ValidationResult(document=None, entries={}, issues=[issue])


def _validate(raw: bytes, known_models: Collection[str]) -> ValidationResult:
    text = _decode(raw)
    if isinstance(text, ValidationIssue):
        return _failed(text)
    parsed = _parse(text)
    if isinstance(parsed, ValidationIssue):
        return _failed(parsed)
    document, duplicates = parsed
    if not isinstance(document, dict):
        return _failed(ValidationIssue(ROOT_PATH, f"must be a JSON object, got {_json_type(document)}"))
    if _deeper_than(document, MAX_DEPTH):
        return _failed(_TOO_DEEP)
    tree_issues, storable = _scan_tree(document, duplicates)
    entries, context_issues = _check_context(document, known_models, tree_issues)
    issues = _with_lines(text, tree_issues + _check_root(document) + context_issues)
    return ValidationResult(document=document if storable else None, entries=entries, issues=issues)


def _with_lines(text: str, issues: list[ValidationIssue]) -> list[ValidationIssue]:
    if not issues:
        return issues
    found = locate(text, (issue.path for issue in issues))
    return [replace(issue, lines=found[issue.path]) for issue in issues]


def _decode(raw: bytes) -> str | ValidationIssue:
    raw = raw.removeprefix(_UTF8_BOM)
    binary = ValidationIssue(FILE_PATH, "is not UTF-8 text (binary file?)")
    if b"\x00" in raw:
        return binary
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return binary
    if not text.strip(_JSON_WHITESPACE):
        return ValidationIssue(FILE_PATH, "is empty")
    return text


_TOO_DEEP = ValidationIssue(FILE_PATH, f"is nested too deeply (more than {MAX_DEPTH} levels)")


class _InvalidJSON(ValueError):
    """Raised from parser hooks for input the json module accepts but JSON does not."""


# Objects with repeated keys, by id(); the object itself is kept too so its id cannot be reused mid-parse.
_Duplicates = dict[int, tuple[dict[str, Any], list[str]]]


def _parse(text: str) -> tuple[Any, _Duplicates] | ValidationIssue:
    duplicates: _Duplicates = {}

    def object_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        repeated: list[str] = []
        for key, value in pairs:
            if key in obj and key not in repeated:
                repeated.append(key)
            obj[key] = value
        if repeated:
            duplicates[id(obj)] = (obj, repeated)
        return obj

    try:
        document = json.loads(
            text, object_pairs_hook=object_hook, parse_constant=_reject_constant, parse_float=_finite_float
        )
    except json.JSONDecodeError as exc:
        return ValidationIssue(FILE_PATH, exc.msg, line=exc.lineno, column=exc.colno)
    except _InvalidJSON as exc:
        return ValidationIssue(FILE_PATH, str(exc))
    except RecursionError:
        return _TOO_DEEP
    except ValueError:  # Python's limit on integer digits; the message names a sys setting, not the file
        return ValidationIssue(FILE_PATH, "contains a number with too many digits")
    return document, duplicates


def _reject_constant(name: str) -> Any:
    raise _InvalidJSON(f"{name} is not valid JSON")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e999 parses as inf, which no JSON encoder can write back
        raise _InvalidJSON(f"number {literal[:_MAX_ECHO_CHARS]} is out of range")
    return value


def _deeper_than(document: dict[str, Any], limit: int) -> bool:
    """Iterative depth check: recursion is exactly what a deep document would break."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _scan_tree(document: dict[str, Any], duplicates: _Duplicates) -> tuple[list[ValidationIssue], bool]:
    """Duplicate keys and unstorable strings anywhere in the tree, and whether the tree can be stored."""
    issues: list[ValidationIssue] = []
    storable = True
    # (path, the key the node is stored under, node); pushed in reverse so issues come in document order.
    stack: list[tuple[str, str, Any]] = [(ROOT_PATH, "", document)]
    while stack:
        path, key, node = stack.pop()
        if _UNSTORABLE.search(key):
            issues.append(ValidationIssue(path, f"key {_UNSTORABLE_MESSAGE}"))
            storable = False
        if isinstance(node, dict):
            known = duplicates.get(id(node))
            if known is not None and known[0] is node:
                issues.extend(ValidationIssue(child_path(path, name), "duplicate key") for name in known[1])
            stack.extend((child_path(path, name), name, value) for name, value in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((item_path(path, index), "", item) for index, item in reversed(list(enumerate(node))))
        elif isinstance(node, str) and _UNSTORABLE.search(node):
            issues.append(ValidationIssue(path, _UNSTORABLE_MESSAGE))
            storable = False
    return issues, storable


def _check_root(document: dict[str, Any]) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    for key, value in document.items():
        path = child_path(ROOT_PATH, key)
        if key == "$schema":
            issues.extend(_check_string(path, value))
        elif key == "extends":
            issues.extend(_check_extends(path, value))
        elif key not in _ROOT_KEYS:
            issues.append(ValidationIssue(path, "unknown property"))
    return issues


def _check_extends(path: str, value: Any) -> list[ValidationIssue]:
    if isinstance(value, str):
        return []
    if not isinstance(value, list):
        return [ValidationIssue(path, f"must be a string or a list of strings, got {_json_type(value)}")]
    return [issue for index, item in enumerate(value) for issue in _check_string(item_path(path, index), item)]


def _check_context(
    document: dict[str, Any], known_models: Collection[str], tree_issues: list[ValidationIssue]
) -> tuple[dict[str, ContextEntry], list[ValidationIssue]]:
    if "context" not in document:
        return {}, [ValidationIssue("context", "is required")]
    context = document["context"]
    if not isinstance(context, dict):
        return {}, [ValidationIssue("context", f"must be an object, got {_json_type(context)}")]
    if not context:
        return {}, [ValidationIssue("context", "defines no context entries")]
    entries: dict[str, ContextEntry] = {}
    issues: list[ValidationIssue] = []
    glob_budget = CheckBudget()  # one per document: it bounds the time pattern checks may take
    for entry_id, body in context.items():
        path = child_path("context", entry_id)
        entry_issues = [] if is_context_id(entry_id) else [ValidationIssue(path, ID_MESSAGE)]
        entry_issues += _check_entry(path, body, known_models)
        entry_issues += _check_globs(path, body, glob_budget)
        issues += entry_issues
        # A duplicate key or bad string inside the entry (or above it) makes its meaning ambiguous.
        ambiguous = any(_overlaps(issue.path, path) for issue in tree_issues)
        if not entry_issues and not ambiguous:
            entries[entry_id] = _build_entry(entry_id, body)
    return entries, issues


def _check_entry(path: str, body: Any, known_models: Collection[str]) -> list[ValidationIssue]:
    if not isinstance(body, dict):
        return [ValidationIssue(path, f"must be an object, got {_json_type(body)}")]
    issues: list[ValidationIssue] = []
    if "summary" not in body:
        issues.append(ValidationIssue(child_path(path, "summary"), "is required"))
    for key, value in body.items():
        check = _ENTRY_CHECKS.get(key)
        if check is None:
            issues.append(ValidationIssue(child_path(path, key), "unknown property"))
        else:
            issues.extend(check(child_path(path, key), value, known_models))
    return issues


def _build_entry(entry_id: str, body: dict[str, Any]) -> ContextEntry:
    return ContextEntry.from_dict({**body, "id": entry_id, "summary": body["summary"].strip()})


def _check_summary(path: str, value: Any, _models: Collection[str]) -> list[ValidationIssue]:
    if isinstance(value, str) and not value.strip():
        return [ValidationIssue(path, "must not be empty")]
    return _check_text(path, value.strip() if isinstance(value, str) else value, MAX_SUMMARY_CHARS)


def _check_text(path: str, value: Any, max_chars: int) -> list[ValidationIssue]:
    if isinstance(value, str) and len(value) > max_chars:
        return [ValidationIssue(path, f"longer than {max_chars:,} characters")]
    return _check_string(path, value)


def _check_patterns(path: str, value: Any, _models: Collection[str]) -> list[ValidationIssue]:
    if not isinstance(value, list):
        return [ValidationIssue(path, f"must be a list of strings, got {_json_type(value)}")]
    issues: list[ValidationIssue] = []
    if len(value) > MAX_PATTERNS:
        issues.append(ValidationIssue(path, f"has more than {MAX_PATTERNS} patterns"))
    for index, item in enumerate(value):
        where = item_path(path, index)
        if not isinstance(item, str):
            issues.extend(_check_string(where, item))
        elif not item.strip():
            issues.append(ValidationIssue(where, "must not be empty"))
        else:
            issues.extend(_check_relative(where, item))
    return issues


def _check_globs(path: str, body: Any, budget: CheckBudget) -> list[ValidationIssue]:
    """Patterns the context builder cannot use: too long, too many brace alternatives, bad `[...]`."""
    if not isinstance(body, dict):
        return []
    issues: list[ValidationIssue] = []
    for key in _PATTERN_KEYS:
        value = body.get(key)
        if not isinstance(value, list) or len(value) > MAX_PATTERNS:
            continue  # the shape check already reports these
        list_path = child_path(path, key)
        # Blank and non-string items have their own issue; the others keep their index in the file.
        usable = [(index, item) for index, item in enumerate(value) if isinstance(item, str) and item.strip()]
        for problem in check_patterns([item for _, item in usable], budget):
            where = list_path if problem.index is None else item_path(list_path, usable[problem.index][0])
            issues.append(ValidationIssue(where, problem.reason))
    return issues


def _check_relative(path: str, value: Any) -> list[ValidationIssue]:
    """Paths and globs are resolved inside the repo snapshot, so they must not point outside it."""
    issues: list[ValidationIssue] = []
    if value.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", value):
        issues.append(ValidationIssue(path, "must be relative to the repository root, not absolute"))
    if ".." in re.split(r"[/\\]", value):
        issues.append(ValidationIssue(path, 'must not contain ".." segments'))
    if any(ord(char) < 0x20 for char in value):
        issues.append(ValidationIssue(path, "must not contain control characters"))
    return issues


def _check_positive_int(path: str, value: Any, _models: Collection[str]) -> list[ValidationIssue]:
    # bool is an int subclass in Python, but `true` is not a size in JSON.
    if not isinstance(value, int) or isinstance(value, bool):
        shown = repr(value) if isinstance(value, float) else _json_type(value)
        return [ValidationIssue(path, f"must be a positive integer, got {shown}")]
    if value < 1:
        return [ValidationIssue(path, f"must be a positive integer, got {value}")]
    if value > MAX_INT:
        return [ValidationIssue(path, f"must be at most {MAX_INT:,}")]
    return []


def _check_model(path: str, value: Any, known_models: Collection[str]) -> list[ValidationIssue]:
    if not isinstance(value, str):
        return _check_string(path, value)
    if value in known_models:
        return []
    available = ", ".join(sorted(known_models)) or "none"
    return [ValidationIssue(path, f"unknown model {_quote(value)} (available: {available})")]


_ENTRY_CHECKS: dict[str, Callable[[str, Any, Collection[str]], list[ValidationIssue]]] = {
    "summary": _check_summary,
    "prompt": lambda path, value, _models: _check_text(path, value, MAX_PROMPT_CHARS),
    "basePath": lambda path, value, _models: _check_string(path, value) or _check_relative(path, value),
    "pathPatterns": _check_patterns,
    "excludePathPatterns": _check_patterns,
    "maxFileSize": _check_positive_int,
    "model": _check_model,
    "maxTokens": _check_positive_int,
    "pluginId": lambda _path, _value, _models: [],
    "attribution": lambda _path, _value, _models: [],
}
_PATTERN_KEYS = ("pathPatterns", "excludePathPatterns")
# Entry keys that map to ContextEntry fields; the other accepted keys are kept in `extra`.
_TYPED_KEYS = frozenset(_ENTRY_CHECKS) - {"pluginId", "attribution"}


def _check_string(path: str, value: Any) -> list[ValidationIssue]:
    if isinstance(value, str):
        return []
    return [ValidationIssue(path, f"must be a string, got {_json_type(value)}")]


def _json_type(value: Any) -> str:
    """The JSON name of a value's type, as the file's author would call it."""
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "object")


def _overlaps(path: str, other: str) -> bool:
    """True when one path is the other or lies inside it."""
    inner, outer = (path, other) if len(path) >= len(other) else (other, path)
    return inner == outer or inner.startswith((outer + ".", outer + "["))
