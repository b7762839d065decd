"""push events: context.json is read at the pushed commit, stored, and reported as a check run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Service
from tests.support.payloads import installation_payload, push_payload
from tests.webhooks.helpers import INVALID_CONTEXT, VALID_CONTEXT, context_files

INSTALLATION_ID = 777


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Any:
    """octocat/app installed, with a README only; the install produced no check run."""
    repo = fake_github.add_repo("octocat", "app", files={"README.md": "# app\n"})
    fake_github.add_installation(INSTALLATION_ID, "octocat", [repo.id])
    owner = fake_github.account("octocat")
    await service.send_webhook("installation", installation_payload("created", INSTALLATION_ID, owner, [repo]))
    await service.drain_jobs()
    assert fake_github.check_runs == []
    return repo


async def _push(service: Service, repo: Any, branch: str, files: dict[str, Any], *, created: bool = False) -> str:
    before = repo.branches.get(branch, "0" * 40)
    after = repo.commit(branch, files)
    touched = list(files)
    payload = push_payload(
        repo,
        INSTALLATION_ID,
        branch=branch,
        before=before,
        after=after,
        created=created,
        added=[p for p in touched if files[p] is not None],
        removed=[p for p in touched if files[p] is None],
    )
    resp = await service.send_webhook("push", payload)
    assert resp.status_code == 202
    await service.drain_jobs()
    return after


async def test_valid_context_json_gives_a_success_check_with_links(
    service: Service, fake_github: Any, installed: Any
) -> None:
    sha = await _push(service, installed, "main", {"context.json": VALID_CONTEXT})
    [run] = fake_github.check_runs
    assert (run["name"], run["head_sha"], run["status"], run["conclusion"]) == (
        "contextjson",
        sha,
        "completed",
        "success",
    )
    summary = run["output"]["summary"]
    assert (
        "| `explain` | Explain this repo | [http://contextjson.test/octocat/app/tree/main/context/explain]" in summary
    )
    assert "`api`" in summary and run["output"]["title"] == "2 contexts ready"
    [stored] = [f for f in await context_files(service, installed.id) if f.commit_sha == sha]
    assert (stored.status, stored.branch) == ("valid", "main")
    assert stored.entries["explain"]["pathPatterns"] == ["README.md", "src/**"]
    assert stored.check_run_id == run["id"]


async def test_invalid_context_json_fails_with_every_json_path(
    service: Service, fake_github: Any, installed: Any
) -> None:
    sha = await _push(service, installed, "main", {"context.json": INVALID_CONTEXT})
    [run] = fake_github.check_runs
    assert run["conclusion"] == "failure"
    summary = run["output"]["summary"]
    assert "`context.explain.summary`: longer than 70 characters" in summary
    assert "`context.explain.maxFileSize`" in summary
    assert 'context["Bad Id"]' in summary
    assert "unknown model" in summary and "no-such-model" in summary
    [stored] = [f for f in await context_files(service, installed.id) if f.commit_sha == sha]
    assert stored.status == "invalid" and len(stored.errors) >= 4


async def test_json_syntax_error_reports_line_and_column(service: Service, fake_github: Any, installed: Any) -> None:
    await _push(service, installed, "main", {"context.json": '{\n  "context": {\n    "a": {"summary": "x"}\n  \n'})
    [run] = fake_github.check_runs
    assert run["conclusion"] == "failure"
    assert "line 5" in run["output"]["summary"]


async def test_binary_context_json_fails_clearly(service: Service, fake_github: Any, installed: Any) -> None:
    await _push(service, installed, "main", {"context.json": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"})
    [run] = fake_github.check_runs
    assert run["conclusion"] == "failure" and "not UTF-8" in run["output"]["summary"]


async def test_huge_context_json_fails_without_being_downloaded(
    service: Service, fake_github: Any, installed: Any
) -> None:
    await _push(service, installed, "main", {"context.json": '{"context": {}, "pad": "' + "x" * 2_000_000 + '"}'})
    [run] = fake_github.check_runs
    assert run["conclusion"] == "failure" and run["output"]["title"] == "context.json is too large"


async def test_push_without_context_json_changes_creates_no_check(
    service: Service, fake_github: Any, installed: Any
) -> None:
    sha = await _push(service, installed, "main", {"src/app.py": "print('hi')\n"})
    assert fake_github.check_runs == []
    reads = fake_github.find_requests("GET", r"/contents/context\.json")
    assert reads and all(r.query.get("ref") != sha for r in reads)  # only the install-time read


async def test_new_branch_without_context_json_gets_no_failing_check(
    service: Service, fake_github: Any, installed: Any
) -> None:
    await _push(service, installed, "feature/x", {"notes.txt": "wip"}, created=True)
    assert fake_github.check_runs == []
    [stored] = [f for f in await context_files(service, installed.id) if f.branch == "feature/x"]
    assert stored.status == "missing"


async def test_removing_context_json_records_it_missing(service: Service, fake_github: Any, installed: Any) -> None:
    await _push(service, installed, "main", {"context.json": VALID_CONTEXT})
    await _push(service, installed, "main", {"context.json": None})
    assert len(fake_github.check_runs) == 1
    # The first row is the install-time check of the README-only commit.
    assert [f.status for f in await context_files(service, installed.id)] == ["missing", "valid", "missing"]


async def test_fixing_context_json_turns_the_check_green(service: Service, fake_github: Any, installed: Any) -> None:
    await _push(service, installed, "main", {"context.json": INVALID_CONTEXT})
    sha = await _push(service, installed, "main", {"context.json": VALID_CONTEXT})
    assert [r["conclusion"] for r in fake_github.check_runs] == ["failure", "success"]
    assert fake_github.check_runs[-1]["head_sha"] == sha


async def test_pushes_after_uninstall_are_ignored(service: Service, fake_github: Any, installed: Any) -> None:
    owner = fake_github.account("octocat")
    await service.send_webhook("installation", installation_payload("deleted", INSTALLATION_ID, owner, [installed]))
    await service.drain_jobs()
    await _push(service, installed, "main", {"context.json": VALID_CONTEXT})
    assert fake_github.check_runs == []


async def test_github_outage_is_retried_then_reported(service: Service, fake_github: Any, installed: Any) -> None:
    fake_github.fail_next("POST", r"/check-runs$", 502, times=1)
    await _push(service, installed, "main", {"context.json": VALID_CONTEXT})
    assert [r["conclusion"] for r in fake_github.check_runs] == ["success"]


async def test_two_jobs_checking_one_commit_at_once_publish_one_check_run(
    service: Service, fake_github: Any, installed: Any
) -> None:
    """A push's check and a sync's check of the same head, running together (two arq jobs), made two runs."""
    import asyncio

    from jobs.tasks import check_context_file

    sha = installed.commit("main", {"context.json": VALID_CONTEXT})
    ctx = service.job_context
    with fake_github.lock:  # both jobs are in flight before GitHub answers either of them
        jobs = [
            asyncio.create_task(check_context_file(ctx, installed.id, "main", sha)),
            asyncio.create_task(check_context_file(ctx, installed.id, "main", None)),
        ]
        for _ in range(1000):
            if len(fake_github.find_requests("GET", r"/(contents|branches)/")) >= 2:
                break
            await asyncio.sleep(0.01)
    await asyncio.gather(*jobs)
    assert [run["head_sha"] for run in fake_github.check_runs] == [sha]
    [row] = [r for r in await context_files(service, installed.id) if r.commit_sha == sha]
    assert row.check_run_id == fake_github.check_runs[0]["id"]
    # A later re-run updates that run instead of adding one.
    await check_context_file(ctx, installed.id, "main", sha)
    assert len(fake_github.check_runs) == 1


async def test_a_claim_abandoned_by_a_dead_job_is_taken_over(service: Service, installed: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from app.context_files import claims
    from app.db.models import CheckClaim, utcnow

    sessions = service.clients.sessions
    first = await claims.claim(sessions, installed.id, "main", "a" * 40)
    second = await claims.claim(sessions, installed.id, "main", "a" * 40)
    assert (first.owned, second.owned) == (True, False)  # the first job is still at work
    async with sessions() as session:  # ...until it has been silent for longer than the timeout
        await session.execute(update(CheckClaim).values(claimed_at=utcnow() - claims.CLAIM_TIMEOUT - timedelta(1)))
        await session.commit()
    takers = [await claims.claim(sessions, installed.id, "main", "a" * 40) for _ in range(2)]
    assert [t.owned for t in takers] == [True, False]
    await claims.record(sessions, installed.id, "main", "a" * 40, 42)
    assert await claims.claim(sessions, installed.id, "main", "a" * 40) == claims.Claim(owned=False, check_run_id=42)


async def test_a_check_run_gone_from_github_is_created_again(
    service: Service, fake_github: Any, installed: Any
) -> None:
    """A 404 from GitHub is an answer, not an outage: no retries with backoff, a new run instead."""
    from jobs.tasks import check_context_file

    sha = await _push(service, installed, "main", {"context.json": VALID_CONTEXT})
    [first] = fake_github.check_runs
    fake_github.check_runs.clear()  # deleted on GitHub (with its check suite)
    await check_context_file({**service.job_context, "job_try": 1}, installed.id, "main", sha)
    [second] = fake_github.check_runs
    assert second["head_sha"] == sha and second["id"] != first["id"]
    [row] = [r for r in await context_files(service, installed.id) if r.commit_sha == sha]
    assert row.check_run_id == second["id"]
