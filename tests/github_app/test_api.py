"""github_app against the fake GitHub over real HTTP: auth, token caching, and each typed call."""

from __future__ import annotations

import io
import tarfile
from typing import Any

import httpx
import pytest

from github_app import CheckAnnotation, CheckOutput, FileTooLarge, GitHubApp, GitHubAppConfig, sign, verify_signature

INSTALLATION_ID = 55


@pytest.fixture
def gh_app(fake_github: Any) -> GitHubApp:
    return GitHubApp(GitHubAppConfig(str(fake_github.app_id), fake_github.private_key_pem, api_url=fake_github.url))


@pytest.fixture
def repo(fake_github: Any) -> Any:
    repo = fake_github.add_repo(
        "octo", "lib", default_branch="trunk", files={"README.md": "# lib\n", "src/a.py": "x=1\n"}
    )
    fake_github.add_installation(INSTALLATION_ID, "octo", [repo.id])
    return repo


def _token_requests(fake_github: Any) -> int:
    return len(fake_github.find_requests("POST", r"/access_tokens$"))


async def test_installation_token_is_fetched_once_and_reused(gh_app: GitHubApp, fake_github: Any, repo: Any) -> None:
    async with gh_app.installation(INSTALLATION_ID) as api:
        info = await api.get_repository("octo", "lib")
        head = await api.get_branch_head("octo", "lib", "trunk")
    async with gh_app.installation(INSTALLATION_ID) as api:
        await api.get_branch_head("octo", "lib", "trunk")
    assert info is not None and (info.id, info.default_branch, info.private) == (repo.id, "trunk", False)
    assert head is not None and head.sha == repo.branches["trunk"]
    assert _token_requests(fake_github) == 1  # the second client reuses the cached token
    [token_call] = fake_github.find_requests("POST", r"/access_tokens$")
    assert token_call.headers["authorization"].startswith("Bearer ")  # app JWT


async def test_missing_things_are_none(gh_app: GitHubApp, repo: Any) -> None:
    async with gh_app.installation(INSTALLATION_ID) as api:
        assert await api.get_branch_head("octo", "lib", "no-such-branch") is None
        assert await api.get_file("octo", "lib", "context.json", "trunk", max_bytes=1000) is None
        assert await api.get_file("octo", "lib", "src", "trunk", max_bytes=1000) is None  # a directory
        assert await api.get_repository("octo", "not-installed") is None


async def test_get_file_returns_bytes_and_enforces_the_limit(gh_app: GitHubApp, repo: Any) -> None:
    sha = repo.commit("trunk", {"context.json": b'{"context": {}}', "big.json": b"x" * 2_000_000})
    async with gh_app.installation(INSTALLATION_ID) as api:
        file = await api.get_file("octo", "lib", "context.json", sha, max_bytes=1000)
        assert file is not None and file.content == b'{"context": {}}' and file.size == 15
        with pytest.raises(FileTooLarge) as small_limit:
            await api.get_file("octo", "lib", "context.json", sha, max_bytes=10)
        with pytest.raises(FileTooLarge) as not_inlined:
            await api.get_file("octo", "lib", "big.json", sha, max_bytes=10_000_000)
    assert small_limit.value.size == 15
    assert not_inlined.value.size == 2_000_000


async def test_tarball_streams_the_commit(gh_app: GitHubApp, repo: Any) -> None:
    sha = repo.branches["trunk"]
    buffer = io.BytesIO()
    async with gh_app.installation(INSTALLATION_ID) as api, api.tarball("octo", "lib", sha) as chunks:
        async for chunk in chunks:
            buffer.write(chunk)
    buffer.seek(0)
    with tarfile.open(fileobj=buffer, mode="r:gz") as tar:
        names = sorted(m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile())
    assert names == ["README.md", "src/a.py"]


async def test_check_runs_are_created_then_updated(gh_app: GitHubApp, fake_github: Any, repo: Any) -> None:
    sha = repo.branches["trunk"]
    async with gh_app.installation(INSTALLATION_ID) as api:
        run = await api.complete_check_run(
            "octo",
            "lib",
            name="contextjson",
            head_sha=sha,
            conclusion="failure",
            output=CheckOutput("1 error", "- `context`: missing"),
        )
        again = await api.complete_check_run(
            "octo",
            "lib",
            name="contextjson",
            head_sha=sha,
            conclusion="success",
            output=CheckOutput("ok", "fine"),
            check_run_id=run.id,
        )
        await api.create_commit_status(
            "octo",
            "lib",
            sha,
            state="success",
            context="contextjson/deploy",
            description="live",
            target_url="https://example.test/worker",
        )
    assert again.id == run.id  # replaced, not a second run
    [stored] = fake_github.check_runs
    assert (stored["id"], stored["conclusion"], stored["output"]["title"]) == (run.id, "success", "ok")
    [status] = fake_github.statuses
    assert (status["state"], status["context"], status["target_url"]) == (
        "success",
        "contextjson/deploy",
        "https://example.test/worker",
    )


def _annotations(count: int) -> tuple[CheckAnnotation, ...]:
    return tuple(CheckAnnotation("context.json", n + 1, n + 1, f"problem {n}", title=f"x{n}") for n in range(count))


async def test_annotations_go_fifty_a_request_and_are_never_sent_twice(
    gh_app: GitHubApp, fake_github: Any, repo: Any
) -> None:
    sha = repo.branches["trunk"]
    output = CheckOutput("120 errors", "see the annotations", annotations=_annotations(120))
    report = dict(name="contextjson", head_sha=sha, conclusion="failure", output=output)
    async with gh_app.installation(INSTALLATION_ID) as api:
        run = await api.complete_check_run("octo", "lib", **report)  # type: ignore[arg-type]
        sent = [
            len(r.json_body["output"].get("annotations", [])) for r in fake_github.find_requests(None, "/check-runs")
        ]
        assert sent == [50, 50, 20]
        [stored] = fake_github.check_runs
        assert [a["message"] for a in stored["annotations"]] == [f"problem {n}" for n in range(120)]
        assert stored["annotations"][0] == {
            "path": "context.json",
            "start_line": 1,
            "end_line": 1,
            "annotation_level": "failure",
            "message": "problem 0",
            "title": "x0",
        }

        # Reported again on the same run (a re-check, or a retry after a partial report): only what is missing.
        stored["annotations"] = stored["annotations"][:70]
        await api.complete_check_run("octo", "lib", **report, check_run_id=run.id)  # type: ignore[arg-type]
    assert [a["message"] for a in stored["annotations"]] == [f"problem {n}" for n in range(120)]
    sent = [len(r.json_body["output"].get("annotations", [])) for r in fake_github.find_requests(None, "/check-runs")]
    assert sent == [50, 50, 20, 0, 50]


async def test_the_fake_refuses_more_than_fifty_annotations_in_one_request(
    gh_app: GitHubApp, fake_github: Any, repo: Any
) -> None:
    """As GitHub does: the batching above is needed, not a nicety."""
    async with gh_app.installation(INSTALLATION_ID) as api:
        await api.get_repository("octo", "lib")  # an installation token to call with
    [token] = fake_github.tokens
    body = {"name": "x", "head_sha": repo.branches["trunk"], "output": {"title": "t", "summary": "s"}}
    body["output"]["annotations"] = [a.as_dict() for a in _annotations(51)]  # type: ignore[index]
    headers = {"Authorization": f"token {token}"}
    async with httpx.AsyncClient() as client:
        resp = await client.post(f"{fake_github.url}/repos/octo/lib/check-runs", json=body, headers=headers)
    assert resp.status_code == 422 and fake_github.check_runs == []


async def test_list_repositories_follows_pages(gh_app: GitHubApp, fake_github: Any, repo: Any) -> None:
    extra = [fake_github.add_repo("octo", f"r{i:03d}") for i in range(120)]
    fake_github.installations[INSTALLATION_ID].repo_ids |= {r.id for r in extra}
    async with gh_app.installation(INSTALLATION_ID) as api:
        repos = await api.list_repositories()
    assert len(repos) == 121 and len({r.id for r in repos}) == 121


async def test_a_wrong_private_key_is_refused(fake_github: Any, repo: Any) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    app = GitHubApp(GitHubAppConfig(str(fake_github.app_id) + "9", other, api_url=fake_github.url))
    with pytest.raises(Exception) as failure:
        async with app.installation(INSTALLATION_ID) as api:
            await api.get_repository("octo", "lib")
    assert "401" in repr(failure.value) + repr(failure.value.__cause__)


def test_signature_round_trip() -> None:
    body = b'{"zen": "Keep it logically awesome."}'
    assert verify_signature("s3cret", body, sign("s3cret", body))
    assert not verify_signature("s3cret", body + b" ", sign("s3cret", body))
    assert not verify_signature("s3cret", body, sign("other", body))
    assert not verify_signature("s3cret", body, None)
    assert not verify_signature("", body, sign("", body))
    assert not verify_signature("s3cret", body, "sha1=" + sign("s3cret", body)[7:])
