"""deploy/compose.yaml: Postgres + Redis, a one-shot migrate, then web and worker from the same image."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from deploy_checks import (
    CONTRACT_ENV_VARS,
    DEPLOY_DIR,
    DEPLOY_ENV_VARS,
    REPO_ROOT,
    SECRET_ENV_VARS,
    MissingVariable,
    Stage,
    interpolate,
    interpolations,
    walk_strings,
)

COMPOSE_FILE = DEPLOY_DIR / "compose.yaml"
APP_SERVICES = ("migrate", "web", "worker")
# Variables the compose file itself may read besides the contract (they never reach the app's env).
COMPOSE_KNOBS = frozenset({"POSTGRES_PASSWORD", "CONTEXTJSON_IMAGE"})
APP_ENV_VARS = CONTRACT_ENV_VARS | DEPLOY_ENV_VARS
REQUIRED_VARS = frozenset({"SECRET_KEY", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"})
MINIMAL_ENV = {name: f"value-of-{name.lower()}" for name in REQUIRED_VARS}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def compose_schema() -> dict:
    # The official compose-spec schema, vendored offline by check-jsonschema (`vendor.compose-spec`).
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text())


def _schema_errors(schema: dict, document: dict) -> list[str]:
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def _resolved_env(service: dict, env: dict[str, str]) -> dict[str, str]:
    """The container environment compose would set, given the operator's shell/.env values."""
    resolved = {}
    for name, value in service["environment"].items():
        if value is None:  # pass-through: set only when the operator sets it
            if name in env:
                resolved[name] = env[name]
        else:
            resolved[name] = interpolate(str(value), env)
    return resolved


def test_matches_the_compose_specification(compose: dict, compose_schema: dict) -> None:
    assert _schema_errors(compose_schema, compose) == []


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("services", "web", "depends_on", "migrate", "condition"), "service_finished"),
        (("services", "web", "healthcheck", "interval"), ["15s"]),
        (("services", "worker", "comand"), ["worker"]),
    ],
)
def test_schema_check_rejects_a_broken_file(compose: dict, compose_schema: dict, path, bad) -> None:
    broken = copy.deepcopy(compose)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = bad
    assert _schema_errors(compose_schema, broken)


def test_contract_list_is_what_the_settings_read() -> None:
    from app.settings import Settings

    fields = {name.upper() for name in Settings.model_fields}
    assert fields >= APP_ENV_VARS, APP_ENV_VARS - fields


def test_has_exactly_the_five_services(services: dict) -> None:
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker"}


def test_app_services_share_one_image_build_and_environment(services: dict) -> None:
    first = services[APP_SERVICES[0]]
    for name in APP_SERVICES:
        service = services[name]
        assert service["image"] == first["image"], name
        assert service.get("build") == first.get("build"), name
        assert service["environment"] == first["environment"], name
        assert "entrypoint" not in service, f"{name} overrides the image's contextjson entrypoint"
    build = first["build"]
    context = (COMPOSE_FILE.parent / build["context"]).resolve()
    assert context == REPO_ROOT
    assert (context / build["dockerfile"]).resolve() == DEPLOY_DIR / "Dockerfile"
    assert interpolate(first["image"], {}), "image name is empty by default"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_are_hardened(services: dict, name: str) -> None:
    service = services[name]
    assert "no-new-privileges:true" in service.get("security_opt", []), name
    assert "ALL" in service.get("cap_drop", []), name
    assert "privileged" not in service and "user" not in service, f"{name} must run as the image's user"
    if service.get("read_only"):
        assert "/tmp" in service.get("tmpfs", []), f"{name}: read-only root without a writable /tmp"


def test_commands_are_the_cli_subcommands(services: dict) -> None:
    assert services["migrate"]["command"] == ["migrate"]
    assert services["web"]["command"] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    assert services["worker"]["command"] == ["worker"]


def _conditions(service: dict) -> dict[str, str]:
    depends = service.get("depends_on", {})
    assert isinstance(depends, dict), "list-form depends_on only waits for start, not health"
    return {name: spec["condition"] for name, spec in depends.items()}


def test_migrate_runs_once_postgres_is_healthy(services: dict) -> None:
    assert _conditions(services["migrate"]) == {"postgres": "service_healthy"}
    # Restarting after a successful exit would re-run it forever and never count as completed.
    assert services["migrate"].get("restart", "no") in ("no", "on-failure")


@pytest.mark.parametrize("name", ["web", "worker"])
def test_web_and_worker_start_after_migrations(services: dict, name: str) -> None:
    conditions = _conditions(services[name])
    assert conditions.get("migrate") == "service_completed_successfully"
    assert conditions.get("redis") == "service_healthy"
    assert conditions.get("postgres", "service_healthy") == "service_healthy"


def test_every_health_condition_has_a_healthcheck(services: dict) -> None:
    for service in services.values():
        for target, condition in _conditions(service).items():
            assert target in services
            if condition == "service_healthy":
                check = services[target].get("healthcheck", {})
                assert check.get("test") and not check.get("disable"), f"{target} has no healthcheck"


def test_postgres(compose: dict, services: dict) -> None:
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")
    assert volume[1] == "/var/lib/postgresql/data" and volume[0] in compose["volumes"]
    assert "ports" not in postgres, "the database is not published on the host"


def test_redis(services: dict) -> None:
    redis = services["redis"]
    assert redis["image"].startswith("redis:7")
    assert redis["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert "ports" not in redis


def test_web_is_published_and_health_checked(services: dict) -> None:
    web = services["web"]
    assert "8000:8000" in [str(p) for p in web["ports"]]
    check = web["healthcheck"]
    assert not check.get("disable")
    script = " ".join(check["test"])
    assert "/healthz" in script and ":8000/" in script
    assert not re.search(r"\b(curl|wget)\b", script), "python:3.11-slim has no curl or wget"


@pytest.mark.parametrize("name", ["migrate", "worker"])
def test_non_web_roles_drop_the_images_web_healthcheck(services: dict, runtime_stage: Stage, name: str) -> None:
    if not runtime_stage.all("HEALTHCHECK"):
        pytest.skip("the image has no HEALTHCHECK to override")
    check = services[name].get("healthcheck", {})
    assert check.get("disable") or "/healthz" not in " ".join(check.get("test", []))


def test_app_environment_is_exactly_the_contract(services: dict) -> None:
    assert set(services["web"]["environment"]) == APP_ENV_VARS


def test_only_contract_variables_and_known_knobs_are_interpolated(compose: dict) -> None:
    names = {name for text in walk_strings(compose) for name, _, _ in interpolations(text)}
    assert names <= APP_ENV_VARS | COMPOSE_KNOBS, names - APP_ENV_VARS - COMPOSE_KNOBS


def test_secrets_are_required_or_passed_through_never_written(services: dict) -> None:
    environment = services["web"]["environment"]
    for name in sorted(SECRET_ENV_VARS - {"DATABASE_URL", "REDIS_URL"}):
        value = environment[name]
        if value is None:
            continue
        refs = interpolations(value)
        assert len(refs) == 1 and refs[0][0] == name and value.startswith("${"), f"{name}={value!r}"
        assert refs[0][1] in (":?", "?"), f"{name} has a default: {value!r}"
    for name in REQUIRED_VARS:
        refs = interpolations(environment[name] or "")
        assert refs and refs[0][1] == ":?", f"{name} must be required with ${{{name}:?…}}"


@pytest.mark.parametrize("missing", sorted(REQUIRED_VARS))
def test_refuses_to_start_without_a_required_secret(services: dict, missing: str) -> None:
    env = {k: v for k, v in MINIMAL_ENV.items() if k != missing}
    with pytest.raises(MissingVariable, match=missing):
        _resolved_env(services["web"], env)


@pytest.mark.parametrize("password", [None, "s3cret"])
def test_database_url_reaches_the_postgres_service(services: dict, password: str | None) -> None:
    env = dict(MINIMAL_ENV) | ({"POSTGRES_PASSWORD": password} if password else {})
    url = urlsplit(_resolved_env(services["web"], env)["DATABASE_URL"])
    postgres = {k: interpolate(str(v), env) for k, v in services["postgres"]["environment"].items()}
    assert url.scheme.startswith("postgresql")
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"] == (password or url.password)
    assert url.path.lstrip("/") == postgres["POSTGRES_DB"]


def test_redis_url_reaches_the_redis_service(services: dict) -> None:
    url = urlsplit(_resolved_env(services["web"], MINIMAL_ENV)["REDIS_URL"])
    assert url.scheme == "redis" and url.hostname == "redis" and (url.port or 6379) == 6379


def test_models_file_is_the_one_in_the_image(services: dict, runtime_stage: Stage) -> None:
    env = _resolved_env(services["web"], MINIMAL_ENV)
    assert env["MODELS_FILE"] == runtime_stage.env()["MODELS_FILE"]


def test_pass_through_variables_arrive_only_when_set(services: dict) -> None:
    optional = {k for k, v in services["web"]["environment"].items() if v is None}
    assert optional, "expected optional secrets to be passed through"
    assert not optional & set(_resolved_env(services["web"], MINIMAL_ENV))
    given = MINIMAL_ENV | {name: "x" for name in optional}
    assert optional <= set(_resolved_env(services["web"], given))


def test_the_app_accepts_the_resolved_environment(services: dict, settings_from_env) -> None:
    env = _resolved_env(services["web"], MINIMAL_ENV)
    settings = settings_from_env(env)
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.free_credit_usd == 5
    assert settings.secret_key == MINIMAL_ENV["SECRET_KEY"]
    assert Path(env["MODELS_FILE"]).name == "models.toml"


def _runs_jobs(service: dict) -> bool:
    """`worker` runs jobs; `serve` does too when REDIS_URL is empty."""
    command = service["command"][0]
    return command == "worker" or (command == "serve" and not _resolved_env(service, MINIMAL_ENV)["REDIS_URL"])


def _mount_points(compose: dict, service: dict) -> dict[str, str]:
    """Container path -> named volume (or "tmpfs") of every writable mount of a service."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *mode = volume.split(":")
        assert source in compose.get("volumes", {}), f"{source} is not a declared named volume"
        if "ro" not in mode:
            mounts[target] = source
    mounts.update({path.split(":")[0]: "tmpfs" for path in service.get("tmpfs", [])})
    return mounts


@pytest.mark.parametrize("name", APP_SERVICES)
def test_generations_write_their_archives_to_a_volume(compose: dict, services: dict, name: str) -> None:
    service = services[name]
    if not _runs_jobs(service):
        return
    snapshot_dir = _resolved_env(service, MINIMAL_ENV)["SNAPSHOT_CACHE_DIR"]
    assert snapshot_dir.startswith("/"), "a relative SNAPSHOT_CACHE_DIR lands under /app, which is read-only"
    mounts = _mount_points(compose, service)
    assert mounts.get(snapshot_dir) not in (None, "tmpfs"), f"{name}: no volume at {snapshot_dir}"


def test_only_the_worker_runs_jobs(services: dict) -> None:
    assert [name for name in APP_SERVICES if _runs_jobs(services[name])] == ["worker"]


def test_the_snapshot_volume_is_the_directory_the_image_prepares(services: dict, runtime_stage: Stage) -> None:
    # A new named volume starts with the ownership of the image directory it is mounted over.
    env = _resolved_env(services["worker"], MINIMAL_ENV)
    assert env["SNAPSHOT_CACHE_DIR"] == runtime_stage.env()["SNAPSHOT_CACHE_DIR"]
    assert int(env["SNAPSHOT_CACHE_MAX_BYTES"]) > 0


def test_the_worker_is_health_checked_by_its_own_probe(services: dict) -> None:
    check = services["worker"]["healthcheck"]
    assert not check.get("disable")
    assert check["test"] == ["CMD", "contextjson", "worker", "--check"]


def test_metrics_token_is_passed_through_only(services: dict) -> None:
    assert services["web"]["environment"]["METRICS_TOKEN"] is None


def test_interpolation_helper_follows_compose_rules() -> None:
    env = {"SET": "v", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${NONE-d} $$SET $SET", env) == "v d  d $SET v"
    assert interpolate("${SET:+r}${NONE:+r}", env) == "r"
    with pytest.raises(MissingVariable):
        interpolate("${EMPTY:?needed}", env)
    assert interpolate("${EMPTY?needed}", env) == ""
