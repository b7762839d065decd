"""deploy/Dockerfile and .dockerignore: one non-root image whose entrypoint is the `contextjson` CLI."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from deploy_checks import REPO_ROOT, Stage, dockerignore_excludes, parse_dockerfile, split_stages


def test_every_stage_builds_on_python_311_slim(dockerfile_stages: list[Stage]) -> None:
    assert dockerfile_stages, "no FROM in deploy/Dockerfile"
    for stage in dockerfile_stages:
        assert stage.base == "python:3.11-slim", stage


def test_entrypoint_is_the_cli_and_default_command_serves_on_8000(runtime_stage: Stage) -> None:
    entrypoints = runtime_stage.all("ENTRYPOINT")
    commands = runtime_stage.all("CMD")
    assert entrypoints and commands
    # Exec form, so the process is PID 1 and receives SIGTERM directly.
    assert entrypoints[-1].exec_form() == ["contextjson"]
    assert commands[-1].exec_form() == ["serve", "--host", "0.0.0.0", "--port", "8000"]


def test_exposes_8000(runtime_stage: Stage) -> None:
    ports = {p.split("/")[0] for ins in runtime_stage.all("EXPOSE") for p in ins.args.split()}
    assert "8000" in ports


def test_runs_as_the_non_root_user_it_creates(runtime_stage: Stage, image_uid: int) -> None:
    assert image_uid != 0
    user_line = runtime_stage.all("USER")[-1]
    gid = user_line.args.partition(":")[2]
    assert gid != "0", "primary group root"
    created = " ".join(i.args for i in runtime_stage.all("RUN"))
    assert re.search(rf"useradd\b[^&;]*--uid {image_uid}\b", created), "USER uid is not created by useradd"
    # Nothing after USER switches back to root.
    index = runtime_stage.instructions.index(user_line)
    later = [i for i in runtime_stage.instructions[index + 1 :] if i.keyword == "RUN"]
    assert not later, f"RUN after USER runs as the app user and usually means a missed step: {later}"


def test_healthcheck_asks_healthz_with_python(runtime_stage: Stage) -> None:
    checks = runtime_stage.all("HEALTHCHECK")
    assert len(checks) == 1
    options, _, command = checks[0].args.partition("CMD ")
    assert command.startswith("["), "HEALTHCHECK NONE or shell form"
    argv = json.loads(command)
    assert argv[0] == "python", "slim images have no curl or wget"
    script = " ".join(argv)
    assert "/healthz" in script and ":8000/" in script
    assert not re.search(r"\b(curl|wget)\b", checks[0].args)
    assert re.search(r"--timeout=\d+s", options) and re.search(r"--start-period=\d+s", options)


def test_installs_every_package_of_pyproject(dockerfile_stages: list[Stage]) -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    includes = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in includes}
    build = next(s for s in dockerfile_stages if any("pip install ." in i.args for i in s.all("RUN")))
    copied = {src.rstrip("/") for ins in build.all("COPY") for src in ins.args.split()[:-1]}
    assert "pyproject.toml" in copied
    assert packages <= copied, f"packages not copied into the build stage: {packages - copied}"


def test_runtime_takes_the_built_virtualenv(dockerfile_stages: list[Stage], runtime_stage: Stage) -> None:
    if len(dockerfile_stages) == 1:
        return  # single stage: installed in place
    build_names = {s.name for s in dockerfile_stages[:-1]}
    from_build = [i for i in runtime_stage.all("COPY") if re.match(r"--from=(\S+)", i.args)]
    assert from_build, "multi-stage build whose final stage copies nothing from the build stage"
    for ins in from_build:
        assert re.match(r"--from=(\S+)", ins.args)[1] in build_names
    venv = next(i.args.split()[-1] for i in from_build)
    assert f"{venv}/bin" in runtime_stage.env().get("PATH", ""), "the copied venv is not on PATH"


def test_models_file_points_at_the_shipped_price_list(runtime_stage: Stage) -> None:
    # A non-editable install cannot find deploy/models.toml next to the package, so the image says where.
    copies = {ins.args.split()[-1]: ins.args.split()[-2] for ins in runtime_stage.all("COPY")}
    models_file = runtime_stage.env().get("MODELS_FILE")
    assert models_file, "MODELS_FILE is not set in the image"
    assert copies.get(models_file) == "deploy/models.toml"


def test_copied_sources_exist_and_are_not_dockerignored(
    dockerfile_stages: list[Stage], dockerignore_patterns: list[str]
) -> None:
    for stage in dockerfile_stages:
        for ins in stage.all("COPY") + stage.all("ADD"):
            if "--from=" in ins.args:
                continue
            sources = [a for a in ins.args.split()[:-1] if not a.startswith("--")]
            for src in sources:
                matches = list(REPO_ROOT.glob(src))
                if not any(ch in src for ch in "*?["):
                    assert matches, f"COPY source {src} (line {ins.line}) does not exist"
                for match in matches:
                    rel = match.relative_to(REPO_ROOT).as_posix()
                    assert not dockerignore_excludes(dockerignore_patterns, rel), f"{rel} is dockerignored"


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        "node_modules/@octokit/webhooks-examples/package.json",
        "dashboard/static/node_modules/x.js",
        "contextjson.db",
        "app/local.db",
        "contextjson.db-wal",
        ".env",
        "deploy/.env",
        "app/__pycache__/settings.cpython-311.pyc",
        ".pytest_cache/v/cache/lastfailed",
        "tests/conftest.py",
    ],
)
def test_dockerignore_keeps_local_state_out(dockerignore_patterns: list[str], path: str) -> None:
    assert dockerignore_excludes(dockerignore_patterns, path)


@pytest.mark.parametrize("path", ["pyproject.toml", "app/settings.py", "deploy/models.toml"])
def test_dockerignore_keeps_what_the_build_needs(dockerignore_patterns: list[str], path: str) -> None:
    assert not dockerignore_excludes(dockerignore_patterns, path)


def test_parser_sees_a_broken_dockerfile() -> None:
    """The checks above rely on this parser; make sure it reads what a wrong file says."""
    text = "FROM python:3.12 AS b\nRUN a \\\n  # note\n  && b\nFROM b\nENTRYPOINT contextjson\nUSER root\n"
    stages = split_stages(parse_dockerfile(text))
    assert [s.base for s in stages] == ["python:3.12", "b"]
    assert stages[0].all("RUN")[0].args == "a && b"
    assert stages[1].all("ENTRYPOINT")[0].exec_form() is None
    assert stages[1].all("USER")[0].args == "root"
    assert dockerignore_excludes(["*.db", "!keep.db"], "x.db")
    assert not dockerignore_excludes(["*.db", "!keep.db"], "keep.db")
    assert not dockerignore_excludes(["*.db"], "app/x.db"), "a bare * must not cross directories"


def test_snapshot_cache_is_a_directory_the_image_user_owns(runtime_stage: Stage, image_uid: int) -> None:
    """Generations download archives to SNAPSHOT_CACHE_DIR; a relative default would land under /app, which
    user 10001 cannot write (and which is read-only in compose and Kubernetes)."""
    path = runtime_stage.env().get("SNAPSHOT_CACHE_DIR", "")
    assert path.startswith("/data/"), f"SNAPSHOT_CACHE_DIR={path!r} is not under the writable /data"
    runs = " && ".join(ins.args for ins in runtime_stage.all("RUN"))
    assert re.search(rf"mkdir -p [^&;]*{re.escape(path)}(\s|$)", runs), f"{path} is not created"
    chowned = re.search(rf"chown {image_uid}:\d+ ([^&;]*)", runs)
    assert chowned and path in chowned[1].split(), f"{path} is not owned by {image_uid}"
