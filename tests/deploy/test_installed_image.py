"""The image's file set, installed the way deploy/Dockerfile does it, migrates and serves.

No Docker here: the build stage's COPY sources (minus .dockerignore) are copied to a scratch /src, built
into a wheel and installed (not editable) into a fresh virtualenv; the runtime stage's files and
directories go under a scratch root, and `contextjson migrate` / `serve` run there with the image's
environment, paths moved under that root. Dependencies come from the development virtualenv (a .pth
line), so nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest
from deploy_checks import REPO_ROOT, Instruction, Stage, dockerignore_excludes

from tests.operations.cli import command_env
from tests.support.process import _wait_healthy as wait_healthy
from tests.support.process import free_port, stop_process


def _copy_sources(ins: Instruction, workdir: Path, patterns: list[str]) -> None:
    """One build-context COPY, as Docker does it: a directory's contents go into the destination, a file
    goes into it (destination ending in /) or becomes it; .dockerignore'd files stay behind."""
    *sources, dest = ins.args.split()
    target = workdir / dest
    for source in sources:
        for match in sorted(REPO_ROOT.glob(source)):
            pairs = [(f, target / f.relative_to(match)) for f in match.rglob("*")] if match.is_dir() else []
            if match.is_file():
                pairs = [(match, target / match.name if dest.endswith("/") else target)]
            for file, out in pairs:
                rel = file.relative_to(REPO_ROOT).as_posix()
                if file.is_file() and not dockerignore_excludes(patterns, rel) and "__pycache__" not in rel:
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(file, out)


def _workdir(stage: Stage, root: Path) -> Path:
    (workdir,) = [ins.args for ins in stage.all("WORKDIR")]
    return root / workdir.lstrip("/")


def _in_root(value: str, root: Path) -> str:
    """An image path (or sqlite URL, or PATH entry) moved under the scratch root."""
    if value.startswith("sqlite:////"):
        return "sqlite:///" + str(root) + value.removeprefix("sqlite:///")
    return ":".join(str(root) + part if part.startswith("/") else part for part in value.split(":"))


def _build_and_install(build: Stage, root: Path, patterns: list[str]) -> Path:
    """The build stage: copy, `pip install .` (as a wheel, no downloads) into the venv it names."""
    src = _workdir(build, root)
    for ins in build.all("COPY"):
        _copy_sources(ins, src, patterns)
    assert [ins.args for ins in build.all("RUN") if "pip install" in ins.args] == ["pip install ."]
    (venv_line,) = [ins.args for ins in build.all("RUN") if "-m venv" in ins.args]
    venv = root / venv_line.split()[-1].lstrip("/")
    pip = [sys.executable, "-m", "pip"]
    subprocess.run(
        [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", root / "wheels", src], check=True
    )
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", venv], check=True)
    purelib = subprocess.run(
        [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "_dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (wheel,) = (root / "wheels").glob("contextjson-*.whl")
    subprocess.run(
        [*pip, "--python", venv / "bin" / "python", "install", "-q", "--no-deps", "--no-index", wheel], check=True
    )
    return venv


def _prepare_runtime(runtime: Stage, root: Path) -> dict[str, str]:
    """The runtime stage's files and directories under root; returns its environment, moved there."""
    for ins in runtime.all("COPY"):
        if "--from=" not in ins.args:
            source, dest = ins.args.split()
            (root / dest.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO_ROOT / source, root / dest.lstrip("/"))
    for ins in runtime.all("RUN"):
        for made in re.findall(r"mkdir -p ([^&;]+)", ins.args):
            for path in made.split():
                (root / path.lstrip("/")).mkdir(parents=True, exist_ok=True)
    return {key: _in_root(value, root) for key, value in runtime.env().items()}


@pytest.fixture(scope="module")
def image(dockerfile_stages: list[Stage], dockerignore_patterns: list[str], tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("image")
    build, runtime = dockerfile_stages[0], dockerfile_stages[-1]
    _build_and_install(build, root, dockerignore_patterns)
    env = _prepare_runtime(runtime, root)
    return root, env


def test_migrate_and_serve_from_the_installed_package(image: tuple[Path, dict], runtime_stage: Stage) -> None:
    root, image_env = image
    env = command_env(image_env) | {"PATH": image_env["PATH"]}
    workdir = _workdir(runtime_stage, root)
    run = dict(cwd=workdir, env=env, capture_output=True, text=True, timeout=120)

    where = subprocess.run(["python", "-c", "import app; print(app.__file__)"], **run)  # type: ignore[call-overload]
    assert where.stdout.startswith(str(root)), f"app imported from outside the installed package: {where.stdout}"

    migrate = subprocess.run(["contextjson", "migrate"], **run)  # type: ignore[call-overload]
    assert migrate.returncode == 0, migrate.stderr
    assert Path(image_env["DATABASE_URL"].removeprefix("sqlite:///")).is_file()

    (cmd,) = runtime_stage.all("CMD")
    args = cmd.exec_form() or []
    port = free_port()
    args = [a.replace("0.0.0.0", "127.0.0.1").replace("8000", str(port)) for a in args]
    with open(root / "serve.log", "wb") as log:
        proc = subprocess.Popen(["contextjson", *args], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(proc, base, 60, root / "serve.log")
        assert httpx.get(f"{base}/livez").json() == {"status": "ok"}
        schema = httpx.get(f"{base}/schema/context.json")
        assert schema.status_code == 200 and schema.json()["$id"] == "http://127.0.0.1:8000/schema/context.json"
        assert httpx.get(f"{base}/metrics").status_code == 200  # this machine, no proxy
        # Templates and static files are package data: a wheel without them serves 500s.
        landing = httpx.get(f"{base}/")
        assert landing.status_code == 200 and "/_static/contextjson.css" in landing.text
        assert httpx.get(f"{base}/_static/contextjson.css").status_code == 200
        assert httpx.get(f"{base}/_static/result.js").status_code == 200
        assert httpx.get(f"{base}/metrics", headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 403
    finally:
        stop_process(proc)
    snapshots = Path(image_env["SNAPSHOT_CACHE_DIR"])
    assert snapshots.is_dir() and os.access(snapshots, os.W_OK)
    assert snapshots.is_relative_to(root / "data"), "archives must go to the writable volume, not under /app"
