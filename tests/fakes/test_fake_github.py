"""FakeGitHub driven through the real githubkit client (and plain httpx where githubkit hides details)."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile

import httpx
import pytest
from githubkit import AppAuthStrategy, GitHub
from githubkit.exception import RequestError, RequestFailed

from tests.fakes import fixtures
from tests.fakes.github import FakeGitHub, FakeRepo

fake_github = fixtures.fake_github  # make the shared fixture visible to this module

INSTALLATION_ID = 4242
OTHER_INSTALLATION_ID = 5151


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def app_client(gh: FakeGitHub, **kwargs) -> GitHub:
    return GitHub(AppAuthStrategy(gh.app_id, gh.private_key_pem), base_url=gh.url, **kwargs)


def installation_client(gh: FakeGitHub, installation_id: int = INSTALLATION_ID, **kwargs) -> GitHub:
    github = app_client(gh, **kwargs)
    return github.with_auth(github.auth.as_installation(installation_id))


@pytest.fixture
def repo(fake_github: FakeGitHub) -> FakeRepo:
    """octo/hello installed for INSTALLATION_ID; other/secret belongs to another installation."""
    repo = fake_github.add_repo(
        "octo",
        "hello",
        files={"README.md": "hello\n", "src/app.py": "print('hi')\n", "src/lib/util.py": "x = 1\n"},
    )
    fake_github.add_installation(INSTALLATION_ID, "octo", [repo.id])
    other = fake_github.add_repo("other", "secret", private=True, files={"README.md": "secret"})
    fake_github.add_installation(OTHER_INSTALLATION_ID, "other", [other.id])
    return repo


async def test_installation_token_then_file_content(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    github = installation_client(fake_github)
    resp = await github.rest.repos.async_get_content("octo", "hello", "README.md")

    file = resp.parsed_data
    assert file.type == "file" and file.encoding == "base64"
    assert base64.b64decode(file.content) == b"hello\n"
    assert file.sha == git_blob_sha(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert (file.name, file.path, file.size) == ("README.md", "README.md", 6)

    token_req, content_req = fake_github.requests
    assert (token_req.method, token_req.path) == (
        "POST",
        f"/app/installations/{INSTALLATION_ID}/access_tokens",
    )
    assert token_req.headers["authorization"].startswith("Bearer ey")
    issued = next(iter(fake_github.tokens))
    assert issued.startswith("ghs_")
    assert content_req.headers["authorization"] == f"token {issued}"
    assert (content_req.method, content_req.path) == ("GET", "/repos/octo/hello/contents/README.md")


async def test_content_is_wrapped_base64_and_follows_ref(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    first = repo.branches["main"]
    long_text = "0123456789" * 20
    second = repo.commit("main", {"README.md": long_text, "src/app.py": None})
    feature = repo.commit("feature/x", {"NEW.md": "new"})
    github = installation_client(fake_github)

    latest = (await github.rest.repos.async_get_content("octo", "hello", "README.md")).parsed_data
    lines = latest.content.split("\n")
    assert latest.content.endswith("\n") and all(len(line) == 60 for line in lines[:-2]) and lines[-1] == ""
    assert base64.b64decode(latest.content) == long_text.encode()

    old = (await github.rest.repos.async_get_content("octo", "hello", "README.md", ref=first)).parsed_data
    assert base64.b64decode(old.content) == b"hello\n"
    short = (await github.rest.repos.async_get_content("octo", "hello", "src/app.py", ref=first[:7])).parsed_data
    assert base64.b64decode(short.content) == b"print('hi')\n"
    branch_file = await github.rest.repos.async_get_content("octo", "hello", "NEW.md", ref="feature/x")
    assert base64.b64decode(branch_file.parsed_data.content) == b"new"
    assert repo.files_at("feature/x")["README.md"] == long_text.encode()  # branched from main

    with pytest.raises(RequestFailed) as deleted:
        await github.rest.repos.async_get_content("octo", "hello", "src/app.py", ref=second)
    assert deleted.value.response.status_code == 404
    assert deleted.value.response.json()["message"] == "Not Found"
    with pytest.raises(RequestFailed) as bad_ref:
        await github.rest.repos.async_get_content("octo", "hello", "README.md", ref="nope")
    assert bad_ref.value.response.status_code == 404
    assert feature != second


async def test_directory_listing(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    github = installation_client(fake_github)
    root = (await github.rest.repos.async_get_content("octo", "hello", "")).parsed_data
    assert [(e.name, e.type) for e in root] == [("README.md", "file"), ("src", "dir")]
    src = (await github.rest.repos.async_get_content("octo", "hello", "src")).parsed_data
    assert [(e.path, e.type, e.size) for e in src] == [("src/app.py", "file", 12), ("src/lib", "dir", 0)]
    async with httpx.AsyncClient() as client:
        raw = await client.get(src[0].download_url)
    assert raw.content == b"print('hi')\n"


async def test_files_over_one_megabyte_come_without_content(
    fake_github: FakeGitHub,
    repo: FakeRepo,
) -> None:
    limit = 1024 * 1024
    repo.commit("main", {"exact.bin": b"a" * limit, "big.bin": b"b" * (limit + 1)})
    github = installation_client(fake_github)

    exact = (await github.rest.repos.async_get_content("octo", "hello", "exact.bin")).parsed_data
    assert exact.encoding == "base64" and len(base64.b64decode(exact.content)) == limit
    big = (await github.rest.repos.async_get_content("octo", "hello", "big.bin")).parsed_data
    assert (big.encoding, big.content, big.size) == ("none", "", limit + 1)
    assert big.sha == git_blob_sha(b"b" * (limit + 1))

    raw = await github.rest.repos.async_get_content(
        "octo", "hello", "big.bin", headers={"Accept": "application/vnd.github.raw+json"}
    )
    assert raw.content == b"b" * (limit + 1)


async def test_get_branch_and_repo(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    github = installation_client(fake_github)
    branch = (await github.rest.repos.async_get_branch("octo", "hello", "main")).parsed_data
    assert branch.name == "main" and branch.commit.sha == repo.branches["main"] and branch.protected is False

    with pytest.raises(RequestFailed) as missing:
        await github.rest.repos.async_get_branch("octo", "hello", "nope")
    assert missing.value.response.status_code == 404
    assert missing.value.response.json()["message"] == "Branch not found"

    full = (await github.rest.repos.async_get("octo", "hello")).parsed_data
    assert (full.id, full.full_name, full.private, full.default_branch) == (
        repo.id,
        "octo/hello",
        False,
        "main",
    )
    assert full.owner.login == "octo"


async def test_check_runs_create_and_update(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    github = installation_client(fake_github)
    sha = repo.branches["main"]
    created = await github.rest.checks.async_create(
        "octo", "hello", data={"name": "contextjson", "head_sha": sha, "status": "in_progress"}
    )
    assert created.status_code == 201
    run = created.parsed_data
    assert (run.name, run.head_sha, run.status, run.conclusion) == ("contextjson", sha, "in_progress", None)
    assert run.app is not None and run.app.id == fake_github.app_id

    updated = await github.rest.checks.async_update(
        "octo",
        "hello",
        run.id,
        data={
            "conclusion": "failure",
            "output": {"title": "1 error", "summary": "context.explain.summary: too long"},
        },
    )
    assert (updated.parsed_data.status, updated.parsed_data.conclusion) == ("completed", "failure")
    assert updated.parsed_data.completed_at is not None

    [stored] = fake_github.check_runs
    assert stored["id"] == run.id and stored["status"] == "completed" and stored["conclusion"] == "failure"
    assert stored["output"]["summary"] == "context.explain.summary: too long"

    with pytest.raises(RequestFailed) as unknown_sha:
        await github.rest.checks.async_create("octo", "hello", data={"name": "x", "head_sha": "f" * 40})
    assert unknown_sha.value.response.status_code == 422


async def test_commit_status(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    github = installation_client(fake_github)
    sha = repo.branches["main"]
    resp = await github.rest.repos.async_create_commit_status(
        "octo",
        "hello",
        sha,
        data={"state": "success", "context": "contextjson/deploy", "target_url": "https://x.dev"},
    )
    assert resp.status_code == 201
    assert (resp.parsed_data.state, resp.parsed_data.context) == ("success", "contextjson/deploy")
    assert fake_github.statuses[0]["sha"] == sha and fake_github.statuses[0]["target_url"] == "https://x.dev"


async def test_installation_repositories_paginate(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    extra = [fake_github.add_repo("octo", f"r{i}") for i in range(2)]
    fake_github.installations[INSTALLATION_ID].repo_ids |= {r.id for r in extra}
    github = installation_client(fake_github)

    page1 = await github.rest.apps.async_list_repos_accessible_to_installation(per_page=2)
    assert page1.parsed_data.total_count == 3 and len(page1.parsed_data.repositories) == 2
    assert 'rel="next"' in page1.headers["link"]
    names = [
        r.full_name
        async for r in github.rest.paginate(
            github.rest.apps.async_list_repos_accessible_to_installation,
            map_func=lambda resp: resp.parsed_data.repositories,
            per_page=2,
        )
    ]
    assert names == ["octo/hello", "octo/r0", "octo/r1"]


async def test_get_app_with_jwt(fake_github: FakeGitHub) -> None:
    # Keep the client in a variable: `client.rest` holds only a weak reference to it.
    github = app_client(fake_github)
    app = (await github.rest.apps.async_get_authenticated()).parsed_data
    assert app.id == fake_github.app_id and app.slug == fake_github.app_slug


async def test_tarball_redirects_to_streamed_codeload(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    sha = repo.branches["main"]
    github = installation_client(fake_github)
    async with github:
        resp = await github.rest.repos.async_download_tarball_archive("octo", "hello", "main", stream=True)
        data = b"".join([chunk async for chunk in resp.raw_response.aiter_bytes()])

    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        top = f"octo-hello-{sha[:7]}"
        assert {name.split("/")[0] for name in tar.getnames()} == {top}
        assert tar.extractfile(f"{top}/src/lib/util.py").read() == b"x = 1\n"
        assert tar.pax_headers["comment"] == sha
    paths = [r.path for r in fake_github.requests if r.method == "GET"]
    assert paths[-2:] == ["/repos/octo/hello/tarball/main", f"/_codeload/octo/hello/legacy.tar.gz/{sha}"]

    # The redirect itself, as GitHub answers it.
    auth = {"Authorization": f"token {fake_github.issue_token(INSTALLATION_ID)}"}
    async with httpx.AsyncClient(base_url=fake_github.url) as client:
        raw = await client.get(f"/repos/octo/hello/tarball/{sha}", headers=auth)
        location = raw.headers["location"]
        assert raw.status_code == 302 and f"/_codeload/octo/hello/legacy.tar.gz/{sha}?token=" in location
        assert (await client.get(location)).status_code == 200
        assert (await client.get(location.split("?")[0])).status_code == 404  # archive links need their token


async def test_bad_jwt_is_rejected(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    wrong_key, wrong_app = (
        (fake_github.app_id, other_key.decode()),
        (fake_github.app_id + 1, fake_github.private_key_pem),
    )
    for app_id, key in [wrong_key, wrong_app]:
        github = GitHub(AppAuthStrategy(app_id, key), base_url=fake_github.url)
        with pytest.raises(RequestFailed) as exc:
            await github.rest.apps.async_get_authenticated()
        assert exc.value.response.status_code == 401
        installation = github.with_auth(github.auth.as_installation(INSTALLATION_ID))
        # A failed token exchange happens inside httpx's auth flow, so githubkit wraps it.
        with pytest.raises(RequestError) as wrapped:
            await installation.rest.repos.async_get("octo", "hello")
        assert isinstance(wrapped.value.__cause__, RequestFailed)
        assert wrapped.value.__cause__.response.status_code == 401
    assert fake_github.tokens == {}


async def test_unknown_or_expired_token_is_rejected(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    async with httpx.AsyncClient(base_url=fake_github.url) as client:
        bogus = await client.get("/repos/octo/hello", headers={"Authorization": "token ghs_bogus"})
        anonymous = await client.get("/repos/octo/hello")
    assert bogus.status_code == 401 and bogus.json()["message"] == "Bad credentials"
    assert anonymous.status_code == 401

    github = installation_client(fake_github)
    await github.rest.repos.async_get("octo", "hello")
    fake_github.expire_tokens()
    with pytest.raises(RequestFailed) as exc:
        await github.rest.repos.async_get("octo", "hello")  # githubkit still uses its cached token
    assert exc.value.response.status_code == 401


async def test_other_installations_repos_are_not_found(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    github = installation_client(fake_github)
    for call in (
        github.rest.repos.async_get("other", "secret"),
        github.rest.repos.async_get_content("other", "secret", "README.md"),
        github.rest.repos.async_get_branch("other", "secret", "main"),
    ):
        with pytest.raises(RequestFailed) as exc:
            await call
        assert exc.value.response.status_code == 404
    listed = (await github.rest.apps.async_list_repos_accessible_to_installation()).parsed_data
    assert [r.full_name for r in listed.repositories] == ["octo/hello"]

    unknown = installation_client(fake_github, installation_id=999)
    with pytest.raises(RequestError) as wrapped:
        await unknown.rest.repos.async_get("octo", "hello")
    assert isinstance(wrapped.value.__cause__, RequestFailed)
    assert wrapped.value.__cause__.response.status_code == 404  # token request for an unknown installation


async def test_missing_permission_is_forbidden(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    fake_github.installations[INSTALLATION_ID].permissions = {"metadata": "read", "contents": "read"}
    github = installation_client(fake_github)
    with pytest.raises(RequestFailed) as exc:
        await github.rest.checks.async_create("octo", "hello", data={"name": "x", "head_sha": repo.branches["main"]})
    assert exc.value.response.status_code == 403
    assert exc.value.response.json()["message"] == "Resource not accessible by integration"


async def test_fail_next_injects_errors(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    # auto_retry=False: githubkit otherwise retries 5xx itself, sleeping 1s, 4s, 9s.
    github = installation_client(fake_github, auto_retry=False)
    fake_github.fail_next("GET", r"/contents/README\.md$", 502)
    with pytest.raises(RequestFailed) as exc:
        await github.rest.repos.async_get_content("octo", "hello", "README.md")
    assert exc.value.response.status_code == 502
    ok = await github.rest.repos.async_get_content("octo", "hello", "README.md")
    assert base64.b64decode(ok.parsed_data.content) == b"hello\n"
    assert len(fake_github.find_requests("GET", r"/contents/README\.md$")) == 2


async def test_http_cache_revalidates_with_etag(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    github = installation_client(fake_github)
    await github.rest.repos.async_get_content("octo", "hello", "README.md")
    await github.rest.repos.async_get_content("octo", "hello", "README.md")
    repo.commit("main", {"README.md": "changed"})
    latest = await github.rest.repos.async_get_content("octo", "hello", "README.md")

    assert base64.b64decode(latest.parsed_data.content) == b"changed"
    first, second, third = fake_github.find_requests("GET", "/contents/")
    assert "if-none-match" not in first.headers
    assert second.headers["if-none-match"] == third.headers["if-none-match"]  # 304 then a changed body


async def test_successive_fakes_do_not_share_githubkit_token_cache() -> None:
    for _ in range(2):
        with FakeGitHub(private_key_pem=fixtures.app_private_key_pem()) as gh:
            hello = gh.add_repo("octo", "hello", files={"README.md": "hi"})
            gh.add_installation(INSTALLATION_ID, "octo", [hello.id])
            github = installation_client(gh)
            assert (await github.rest.repos.async_get("octo", "hello")).parsed_data.id == hello.id
