"""Helpers for the deploy/ checks: the env-var contract, Dockerfile and .dockerignore parsing."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy"

# DESIGN.md, "Configuration (environment variables)": nothing else is needed to run.
CONTRACT_ENV_VARS = frozenset(
    {
        "DATABASE_URL",
        "REDIS_URL",
        "PUBLIC_URL",
        "SECRET_KEY",
        "GITHUB_API_URL",
        "GITHUB_APP_ID",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_WEBHOOK_SECRET",
        "GITHUB_CLIENT_ID",
        "GITHUB_CLIENT_SECRET",
        "LLM_BASE_URL",
        "LLM_API_KEY",
        "MODELS_FILE",
        "CLOUDFLARE_API_URL",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_BASE",
        "FREE_CREDIT_USD",
        "OPERATOR_LOGINS",
    }
)

# Settings beyond the contract that the deploy files set (README, "Optional tuning").
DEPLOY_ENV_VARS = frozenset({"METRICS_TOKEN", "SNAPSHOT_CACHE_DIR", "SNAPSHOT_CACHE_MAX_BYTES", "TRUSTED_PROXIES"})

# Values that must never be written into a deploy file in clear (connection strings may carry passwords).
SECRET_ENV_VARS = frozenset(
    {
        "METRICS_TOKEN",
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_WEBHOOK_SECRET",
        "GITHUB_CLIENT_SECRET",
        "LLM_API_KEY",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
    }
)


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON-array form of the arguments, or None for shell form."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        assert isinstance(value, list) and all(isinstance(x, str) for x in value), self
        return value


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        """ENV key=value pairs of this stage (later ones win)."""
        values: dict[str, str] = {}
        for ins in self.all("ENV"):
            for token in shlex.split(ins.args):
                key, sep, value = token.partition("=")
                assert sep, f"legacy `ENV key value` form at line {ins.line}; use key=value"
                values[key] = value
        return values


def parse_dockerfile(text: str) -> list[Instruction]:
    """Split a Dockerfile into instructions, joining `\\` continuations and dropping comments."""
    instructions: list[Instruction] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # comment lines are also allowed inside a continuation
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer.append(stripped[:-1].strip())
            continue
        buffer.append(stripped)
        keyword, _, args = " ".join(buffer).partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        buffer = []
    assert not buffer, "Dockerfile ends inside a line continuation"
    return instructions


def split_stages(instructions: list[Instruction]) -> list[Stage]:
    """Group instructions by build stage (each FROM starts one)."""
    stages: list[Stage] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            parts = [p for p in ins.args.split() if not p.startswith("--")]
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=parts[0], name=name))
        else:
            assert stages, f"{ins.keyword} before the first FROM (line {ins.line})"
            stages[-1].instructions.append(ins)
    return stages


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    """Translate one .dockerignore pattern (Go filepath.Match plus `**`) into a regex."""
    pattern = pattern.strip().lstrip("/").rstrip("/")
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Whether `path` (relative to the context) is left out; a matched directory hides its contents."""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = _ignore_regex(pattern[1:] if negate else pattern)
        if any(regex.fullmatch(c) for c in candidates):
            excluded = not negate
    return excluded


class MissingVariable(Exception):
    """A `${VAR:?message}` / `${VAR?message}` whose variable is not set: compose refuses to start."""


_INTERPOLATION = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?", re.DOTALL)


def _braced(expression: str) -> tuple[str, str | None, str]:
    match = _BRACED.fullmatch(expression)
    assert match, f"unsupported interpolation ${{{expression}}}"
    return match["name"], match["op"], match["arg"] or ""


def interpolate(value: str, env: dict[str, str]) -> str:
    """Resolve compose variable interpolation (`$$`, `$VAR`, `${VAR}`, `:-`, `-`, `:?`, `?`, `:+`, `+`)."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["named"]:
            return env.get(match["named"], "")
        name, op, arg = _braced(match["braced"])
        current = env.get(name)
        unset_or_empty = not current
        if op in (":-", "-"):
            use_default = unset_or_empty if op == ":-" else current is None
            return arg if use_default else current or ""
        if op in (":?", "?"):
            if unset_or_empty if op == ":?" else current is None:
                raise MissingVariable(f"{name}: {arg}")
            return current or ""
        if op in (":+", "+"):
            return arg if (not unset_or_empty if op == ":+" else current is not None) else ""
        return current or ""

    return _INTERPOLATION.sub(replace, value)


def interpolations(value: str) -> list[tuple[str, str | None, str]]:
    """(name, operator, argument) of every variable a string refers to."""
    found = []
    for match in _INTERPOLATION.finditer(value):
        if match["named"]:
            found.append((match["named"], None, ""))
        elif match["braced"] is not None:
            found.append(_braced(match["braced"]))
    return found


def walk_strings(node: object):
    """Every string value in a parsed YAML document (mapping keys are not interpolated by compose)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from walk_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk_strings(value)
