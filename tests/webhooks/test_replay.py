"""Replayed webhooks: X-GitHub-Delivery is not signed, so a captured body sent again under a new delivery
id must be refused by its content, and events may only touch repositories of their own installation."""

from __future__ import annotations

import json
from typing import Any

from app.context_files import heads
from app.db.models import Repository
from tests.conftest import Service
from tests.links.helpers import INSTALLATION_ID, install_repo
from tests.support.payloads import installation_payload, push_payload
from tests.webhooks.helpers import deliveries, installation, repository


async def _head(service: Service, repo_id: int) -> str | None:
    async with service.clients.sessions() as session:
        return await heads.get_head(session, repo_id, "main")


async def _push(service: Service, repo: Any, files: dict[str, str], installation_id: int = INSTALLATION_ID) -> dict:
    before = repo.branches["main"]
    after = repo.commit("main", files)
    payload = push_payload(repo, installation_id, branch="main", before=before, after=after, modified=list(files))
    assert (await service.send_webhook("push", payload)).status_code == 202
    await service.drain_jobs()
    return payload


async def test_an_old_push_replayed_under_a_new_delivery_id_does_not_reset_the_branch(
    service: Service, fake_github: Any
) -> None:
    installed = await install_repo(service, fake_github)
    old = await _push(service, installed.repo, {"README.md": "# v2\n"})
    new = await _push(service, installed.repo, {"README.md": "# v3\n"})
    assert await _head(service, installed.repo.id) == new["after"]

    replay = await service.send_webhook("push", old, delivery_id="attacker-chosen-id")
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    await service.drain_jobs()
    assert await _head(service, installed.repo.id) == new["after"]
    assert "attacker-chosen-id" not in {d.delivery_id for d in await deliveries(service)}


async def test_a_replayed_installation_created_does_not_revive_a_deleted_installation(
    service: Service, fake_github: Any
) -> None:
    repo = fake_github.add_repo("acme", "widgets", files={"README.md": "# w\n"})
    fake_github.add_installation(INSTALLATION_ID, "acme", [repo.id])
    owner = fake_github.account("acme")
    created = installation_payload("created", INSTALLATION_ID, owner, [repo])
    assert (await service.send_webhook("installation", created)).status_code == 202
    await service.drain_jobs()
    deleted = installation_payload("deleted", INSTALLATION_ID, owner, [repo])
    assert (await service.send_webhook("installation", deleted)).status_code == 202
    await service.drain_jobs()

    replay = await service.send_webhook("installation", created, delivery_id="new-id")
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    await service.drain_jobs()
    inst = await installation(service, INSTALLATION_ID)
    assert inst is not None and inst.deleted_at is not None
    assert (await repository(service, repo.id)).active is False  # type: ignore[union-attr]


async def test_the_same_body_is_refused_whatever_the_delivery_id(service: Service) -> None:
    body = {"zen": "Keep it logically awesome.", "hook_id": 1}
    assert (await service.send_webhook("ping", body, delivery_id="a")).status_code == 202
    assert (await service.send_webhook("ping", body, delivery_id="b")).status_code == 200
    changed = json.loads(json.dumps(body)) | {"hook_id": 2}
    assert (await service.send_webhook("ping", changed, delivery_id="c")).status_code == 202
    assert [d.delivery_id for d in await deliveries(service)] == ["a", "c"]


async def test_a_push_from_another_installation_is_ignored(service: Service, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)
    head = await _head(service, installed.repo.id)
    fake_github.add_installation(7000, "mallory", [])
    await service.send_webhook(
        "installation", installation_payload("created", 7000, fake_github.account("mallory"), [])
    )
    await service.drain_jobs()

    await _push(service, installed.repo, {"README.md": "# hijacked\n"}, installation_id=7000)
    assert await _head(service, installed.repo.id) == head
    stored = await repository(service, installed.repo.id)
    assert isinstance(stored, Repository) and stored.installation_id == INSTALLATION_ID
