"""The branch segment of a visitor link: one branch, one link, one generation; no way out of the repository.

Each spelling below was reproduced against the old code: it made a new paid generation, reached another
repository of the installation through `..`, or answered 500.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from app.app import create_app
from app.db.models import BranchHead, ContextFile, LedgerEntry, Repository, Result
from app.settings import Settings
from tests.conftest import Service
from tests.links.helpers import CONTEXT, Installed, install_repo
from tests.support.problems import BROWSER_ACCEPT, assert_error_page, assert_problem


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Installed:
    secret = fake_github.add_repo(
        "acme", "secret", private=True, files={"context.json": json.dumps(CONTEXT), "README.md": "# secret\n"}
    )
    return await install_repo(service, fake_github, extra_repos=[secret])


async def _rows(service: Service) -> dict[str, int]:
    """How many rows each table a link may write holds."""
    async with service.clients.sessions() as session:
        return {
            model.__tablename__: (await session.execute(select(func.count()).select_from(model))).scalar_one()  # type: ignore[attr-defined]
            for model in (Result, BranchHead, ContextFile, LedgerEntry, Repository)
        }


SPELLINGS_OF_MAIN = [
    "x%2F..%2Fmain",
    "x%2F%2E%2E%2Fmain",
    "main%3Fa%3D1",
    "main%23x",
    ".%2Fmain",
    "%2E%2Fmain",
    "main%00",
    "main%2F",
    "%2Fmain",
    "ma%2F%2Fin",
]


@pytest.mark.parametrize("spelling", SPELLINGS_OF_MAIN)
async def test_no_spelling_of_main_buys_another_generation(installed: Installed, fake_llm: Any, spelling: str) -> None:
    first = await installed.click_and_finish("/tree/main/context/explain")
    rows = await _rows(installed.service)
    resp = await installed.click(f"/tree/{spelling}/context/explain", accept=BROWSER_ACCEPT)
    assert resp.status_code in (400, 404), resp.text
    assert_error_page(resp, resp.status_code)
    await installed.service.drain_jobs()
    assert fake_llm.call_count == 1 and len(await installed.debits()) == 1
    assert await _rows(installed.service) == rows  # nothing written for a link that does not resolve
    again = await installed.click("/tree/main/context/explain")
    assert again.headers["location"] == f"/r/{first['id']}"


async def test_dot_segments_cannot_reach_another_repository(installed: Installed, fake_github: Any) -> None:
    before = len(fake_github.requests)
    for path in ("..%2F..%2Fsecret%2Fbranches%2Fmain", "..%2F..%2Fnothing-here%2Fbranches%2Fmain"):
        resp = await installed.click(f"/tree/{path}/context/explain", accept="application/json")
        # The same answer whether the other repository exists or not: it is never looked at.
        assert_problem(resp, 400, "link.invalid_branch")
    assert [r.path for r in fake_github.requests[before:]] == []


async def test_nul_in_a_branch_is_a_clear_error_not_a_crash(installed: Installed) -> None:
    resp = await installed.click("/tree/main%00/context/explain", accept="application/json")
    assert "control character" in assert_problem(resp, 400, "link.invalid_branch")["detail"]


HOSTILE_BRANCHES = [
    "a..b",
    "a/./b",
    "a/../b",
    "..",
    ".",
    ".hidden",
    "a/.hidden",
    "a//b",
    "/a",
    "a/",
    "a.lock",
    "a.lock/b",
    "a.",
    "a\x01b",
    "a\x7fb",
    "a b",
    "a~1",
    "a^2",
    "a:b",
    "a?b",
    "a*",
    "a[b",
    "a\\b",
    "a@{1}",
    "@",
    "-a",
    "HEAD",
    "x" * 300,
]


@pytest.mark.parametrize("branch", HOSTILE_BRANCHES, ids=repr)
async def test_hostile_branch_names_are_refused_before_any_lookup(
    installed: Installed, fake_github: Any, branch: str
) -> None:
    rows = await _rows(installed.service)
    before = len(fake_github.requests)
    # Dots encoded too: a client would fold literal "." and ".." segments away before sending.
    encoded = quote(branch, safe="").replace(".", "%2E")
    resp = await installed.click(f"/tree/{encoded}/context/explain", accept="application/json")
    assert resp.status_code == 400 and resp.json()["error"] == "link.invalid_branch", resp.text
    assert len(fake_github.requests) == before
    assert await _rows(installed.service) == rows


async def test_a_hash_is_part_of_the_branch_name_not_a_fragment(installed: Installed, fake_github: Any) -> None:
    """`main#x` is a valid branch name; GitHub must be asked about exactly that name, not about `main`."""
    resp = await installed.click("/tree/main%23x/context/explain", accept="application/json")
    assert resp.status_code == 404 and resp.json()["error"] == "link.branch_not_found"
    [lookup] = fake_github.find_requests("GET", r"/branches/main")[-1:]
    assert lookup.path == "/repos/acme/widgets/branches/main#x"


async def test_one_branch_has_one_link_whatever_the_spelling(installed: Installed, fake_llm: Any) -> None:
    await installed.push({"src/x.py": "x = 1\n"}, branch="feature/x")
    plain = await installed.click_and_finish("/tree/feature/x/context/explain")
    encoded = await installed.click("/tree/feature%2Fx/context/explain")
    assert encoded.headers["location"] == f"/r/{plain['id']}"
    assert fake_llm.call_count == 1


async def test_the_branch_is_decoded_exactly_once(installed: Installed, fake_github: Any, fake_llm: Any) -> None:
    await installed.push({"src/x.py": "x = 1\n"}, branch="feature/x")
    # %252F is "%2F" after one decoding: a (valid) branch named "feature%2Fx", not feature/x.
    resp = await installed.click("/tree/feature%252Fx/context/explain", accept="application/json")
    assert resp.status_code == 404 and resp.json()["error"] == "link.branch_not_found"
    assert resp.json()["detail"] == 'acme/widgets has no branch "feature%2Fx".'
    assert fake_llm.call_count == 0


async def test_github_must_answer_for_the_branch_asked_for(installed: Installed, fake_github: Any) -> None:
    """GitHub answers a renamed branch's old name with the new branch: that is not the branch in the link."""
    installed.repo.commit("trunk", {"src/x.py": "x = 1\n"})
    installed.repo.renamed_branches["old-trunk"] = "trunk"
    resp = await installed.click("/tree/old-trunk/context/explain", accept="application/json")
    assert resp.status_code == 404 and resp.json()["error"] == "link.branch_not_found"
    assert fake_github.find_requests("GET", r"/branches/trunk$")  # GitHub's redirect was followed...
    ok = await installed.click("/tree/trunk/context/explain")  # ...and the real name still works
    assert ok.status_code == 303


async def test_unknown_branch_is_asked_about_once_and_found_after_a_push(
    installed: Installed, fake_github: Any
) -> None:
    for _ in range(5):
        resp = await installed.click("/tree/later/context/explain", accept="application/json")
        assert resp.status_code == 404 and resp.json()["error"] == "link.branch_not_found"
    assert len(fake_github.find_requests("GET", r"/branches/later$")) == 1
    await installed.push({"src/later.py": "x = 1\n"}, branch="later")  # the push forgets the miss
    assert (await installed.click("/tree/later/context/explain")).status_code == 303


@pytest.fixture
async def tight_service(settings: Settings) -> AsyncIterator[Service]:
    """The service with small per-repository limits."""
    import httpx

    app = create_app(settings.model_copy(update={"branch_lookups_per_hour": 3, "branch_miss_ttl_seconds": 0}))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://contextjson.test") as client:
            yield Service(app=app, client=client)


async def test_lookups_of_unknown_branches_are_limited_per_repository(tight_service: Service, fake_github: Any) -> None:
    installed = await install_repo(tight_service, fake_github)
    codes = []
    for n in range(5):
        resp = await installed.click(f"/tree/random-{n}/context/explain", accept="application/json")
        codes.append(resp.json()["error"])
    assert codes == ["link.branch_not_found"] * 3 + ["link.branch_lookups_limited"] * 2
    assert len(fake_github.find_requests("GET", r"/branches/random-")) == 3
    limited = await installed.click("/tree/random-9/context/explain")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    # Known branches need no lookup, so the limit never stands in the way of real links.
    assert (await installed.click("/tree/main/context/explain")).status_code == 303
