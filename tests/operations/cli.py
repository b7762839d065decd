"""Run the `contextjson` command as a subprocess with exactly the given configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
# Every variable the settings read, so the caller's environment cannot leak into the command.
SETTINGS_VARS = frozenset(name.upper() for name in Settings.model_fields)


def command_env(env: dict[str, str]) -> dict[str, str]:
    """os.environ without any contextjson setting, plus `env`."""
    return {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARS} | env


def run_cli(args: list[str], env: dict[str, str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`contextjson ARGS` to completion (for commands expected to exit on their own)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=command_env(env),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]
