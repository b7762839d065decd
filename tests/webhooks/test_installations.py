"""installation / installation_repositories events: accounts, free credit, repos, initial checks."""

from __future__ import annotations

from typing import Any

from app.db.models import LedgerEntry
from tests.conftest import Service
from tests.support.payloads import installation_payload, installation_repositories_payload
from tests.webhooks.helpers import VALID_CONTEXT, account, count, installation, ledger, repository

INSTALLATION_ID = 4242


def _setup_repos(fake_github: Any) -> tuple[Any, Any]:
    with_context = fake_github.add_repo(
        "octo-org", "docs", files={"README.md": "# docs", "context.json": VALID_CONTEXT}
    )
    without = fake_github.add_repo("octo-org", "plain", files={"README.md": "# plain"})
    fake_github.add_installation(
        INSTALLATION_ID, "octo-org", [with_context.id, without.id], account_type="Organization"
    )
    return with_context, without


async def test_installation_created_records_account_credits_once_and_checks_repos(
    service: Service, fake_github: Any
) -> None:
    docs, plain = _setup_repos(fake_github)
    owner = fake_github.account("octo-org")
    resp = await service.send_webhook(
        "installation", installation_payload("created", INSTALLATION_ID, owner, [docs, plain])
    )
    assert resp.status_code == 202
    await service.drain_jobs()

    acct = await account(service, "octo-org")
    assert acct is not None and acct.type == "Organization" and acct.github_id == owner.id
    assert acct.balance_micros == 5_000_000
    [credit] = await ledger(service, acct.id)
    assert (credit.kind, credit.amount_micros) == ("credit", 5_000_000)
    assert (await repository(service, docs.id)).default_branch == "main"  # type: ignore[union-attr]

    # Only the repo with a context.json gets a check run, and it passes.
    [run] = fake_github.check_runs
    assert run["name"] == "contextjson" and run["conclusion"] == "success"
    assert run["head_sha"] == docs.branches["main"]
    assert "http://contextjson.test/octo-org/docs/tree/main/context/explain" in run["output"]["summary"]


async def test_reinstall_never_grants_the_free_credit_twice(service: Service, fake_github: Any) -> None:
    docs, plain = _setup_repos(fake_github)
    owner = fake_github.account("octo-org")
    await service.send_webhook("installation", installation_payload("created", INSTALLATION_ID, owner, [docs]))
    await service.drain_jobs()
    await service.send_webhook("installation", installation_payload("deleted", INSTALLATION_ID, owner, [docs]))
    await service.drain_jobs()
    inst = await installation(service, INSTALLATION_ID)
    assert inst is not None and inst.deleted_at is not None
    assert (await repository(service, docs.id)).active is False  # type: ignore[union-attr]

    fake_github.add_installation(INSTALLATION_ID + 1, "octo-org", [docs.id])
    await service.send_webhook("installation", installation_payload("created", INSTALLATION_ID + 1, owner, [docs]))
    await service.drain_jobs()
    acct = await account(service, "octo-org")
    assert acct is not None and acct.balance_micros == 5_000_000
    assert await count(service, LedgerEntry) == 1
    assert (await repository(service, docs.id)).active is True  # type: ignore[union-attr]


async def test_suspend_and_unsuspend(service: Service, fake_github: Any) -> None:
    docs, _ = _setup_repos(fake_github)
    owner = fake_github.account("octo-org")
    await service.send_webhook("installation", installation_payload("created", INSTALLATION_ID, owner, [docs]))
    await service.drain_jobs()
    runs_before = len(fake_github.check_runs)

    await service.send_webhook("installation", installation_payload("suspend", INSTALLATION_ID, owner, []))
    await service.drain_jobs()
    inst = await installation(service, INSTALLATION_ID)
    assert inst is not None and inst.suspended_at is not None and not inst.active
    assert len(fake_github.check_runs) == runs_before  # nothing is checked while suspended

    await service.send_webhook("installation", installation_payload("unsuspend", INSTALLATION_ID, owner, []))
    await service.drain_jobs()
    inst = await installation(service, INSTALLATION_ID)
    assert inst is not None and inst.suspended_at is None and inst.active


async def test_new_permissions_accepted_keeps_the_installation(service: Service, fake_github: Any) -> None:
    docs, _ = _setup_repos(fake_github)
    owner = fake_github.account("octo-org")
    await service.send_webhook("installation", installation_payload("created", INSTALLATION_ID, owner, [docs]))
    await service.send_webhook(
        "installation", installation_payload("new_permissions_accepted", INSTALLATION_ID, owner, [docs])
    )
    await service.drain_jobs()
    inst = await installation(service, INSTALLATION_ID)
    assert inst is not None and inst.active
    assert await count(service, LedgerEntry) == 1


async def test_repositories_added_are_checked_and_removed_are_deactivated(service: Service, fake_github: Any) -> None:
    docs, plain = _setup_repos(fake_github)
    owner = fake_github.account("octo-org")
    fake_github.installations[INSTALLATION_ID].repo_ids = {plain.id}
    await service.send_webhook("installation", installation_payload("created", INSTALLATION_ID, owner, [plain]))
    await service.drain_jobs()
    assert fake_github.check_runs == []

    fake_github.installations[INSTALLATION_ID].repo_ids = {plain.id, docs.id}
    resp = await service.send_webhook(
        "installation_repositories", installation_repositories_payload("added", INSTALLATION_ID, owner, [docs], [])
    )
    assert resp.status_code == 202
    await service.drain_jobs()
    [run] = fake_github.check_runs
    assert run["conclusion"] == "success" and run["head_sha"] == docs.branches["main"]

    await service.send_webhook(
        "installation_repositories", installation_repositories_payload("removed", INSTALLATION_ID, owner, [], [docs])
    )
    await service.drain_jobs()
    assert (await repository(service, docs.id)).active is False  # type: ignore[union-attr]
