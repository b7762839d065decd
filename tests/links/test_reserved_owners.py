"""Owners whose login is also a service path (`r`, `schema`, `webhooks`...) still get working links and badges."""

from __future__ import annotations

from typing import Any

import pytest

from app.links.controller import OWNER_NAME
from tests.conftest import Service
from tests.links.helpers import CONTEXT, INSTALLATION_ID
from tests.support.payloads import installation_payload


def _service_first_segments(service: Service) -> set[str]:
    """Literal first segments of every route that is not a visitor link."""
    segments = set()
    for route in service.app.routes:
        first = route.path.strip("/").split("/", 1)[0]
        if first and not first.startswith("{"):
            segments.add(first)
    return segments


async def test_every_service_path_that_is_a_login_has_link_routes(service: Service) -> None:
    shadowing = {s for s in _service_first_segments(service) if OWNER_NAME.match(s)}
    assert {"r", "schema", "webhooks", "healthz"} <= shadowing  # the paths of today; new ones are found too
    for owner in shadowing:
        paths = {route.path for route in service.app.routes}
        assert f"/{owner}/{{repo:str}}/context/{{context_id:str}}" in paths, owner


@pytest.mark.parametrize("owner", ["r", "schema", "webhooks"])
async def test_links_and_badges_of_an_owner_named_like_a_service_path(
    service: Service, fake_github: Any, owner: str
) -> None:
    import json

    repo = fake_github.add_repo(owner, "context", files={"README.md": "# x\n", "context.json": json.dumps(CONTEXT)})
    fake_github.add_installation(INSTALLATION_ID, owner, [repo.id])
    payload = installation_payload("created", INSTALLATION_ID, fake_github.account(owner), [repo])
    assert (await service.send_webhook("installation", payload)).status_code == 202
    await service.drain_jobs()

    link = await service.client.get(f"/{owner}/context/context/explain")
    assert link.status_code == 303 and link.headers["location"].startswith("/r/")
    on_branch = await service.client.get(f"/{owner}/context/tree/main/context/explain")
    assert on_branch.headers["location"] == link.headers["location"]
    badge = await service.client.get(f"/{owner}/context/context/explain/badge.svg")
    assert badge.status_code == 200 and badge.headers["content-type"].startswith("image/svg+xml")
    # The service's own paths under that name still answer as before.
    await service.drain_jobs()
    result = await service.client.get(link.headers["location"] + ".json")
    assert result.status_code == 200 and result.json()["repo"] == f"{owner}/context"
    assert (await service.client.get("/schema/context.json")).status_code == 200
