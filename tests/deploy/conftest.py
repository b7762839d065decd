"""Fixtures for the deploy/ checks (helpers live in deploy_checks.py)."""

from __future__ import annotations

import pytest
from deploy_checks import CONTRACT_ENV_VARS, DEPLOY_DIR, REPO_ROOT, Stage, parse_dockerfile, split_stages


@pytest.fixture(scope="session")
def dockerfile_stages() -> list[Stage]:
    return split_stages(parse_dockerfile((DEPLOY_DIR / "Dockerfile").read_text()))


@pytest.fixture(scope="session")
def runtime_stage(dockerfile_stages: list[Stage]) -> Stage:
    return dockerfile_stages[-1]


@pytest.fixture(scope="session")
def image_uid(runtime_stage: Stage) -> int:
    """The numeric uid the image runs as (last USER of the final stage)."""
    users = runtime_stage.all("USER")
    assert users, "the final stage sets no USER, so the image runs as root"
    uid = users[-1].args.split(":")[0]
    assert uid.isdigit(), f"USER {uid!r} is not numeric: Kubernetes runAsNonRoot cannot verify a name"
    return int(uid)


@pytest.fixture(scope="session")
def dockerignore_patterns() -> list[str]:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    return [s for s in (x.strip() for x in lines) if s and not s.startswith("#")]


@pytest.fixture
def settings_from_env(monkeypatch: pytest.MonkeyPatch):
    """Build the real app Settings from exactly the given environment (contract variables only)."""
    from app.settings import Settings

    def build(env: dict[str, str]) -> Settings:
        for name in CONTRACT_ENV_VARS:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return Settings()

    return build
