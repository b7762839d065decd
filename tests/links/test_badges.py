"""README badges over HTTP: what they say, their cache headers and 304s, grey for unknown, the repository badge."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest

from app.links.badge import BadgeColor
from tests.conftest import Service
from tests.links.helpers import CONTEXT, INSTALLATION_ID, Installed, install_repo
from tests.support.payloads import installation_payload
from tests.webhooks.repo_payloads import repository_payload

SVG = "{http://www.w3.org/2000/svg}"
SETTLED = "public, max-age=300, s-maxage=300"
CHANGING = "public, max-age=60, s-maxage=60"


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Installed:
    return await install_repo(service, fake_github)


def _read(resp: httpx.Response) -> tuple[str, str]:
    """(message, message colour) of a badge answer, which is always a 200 SVG."""
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(resp.text)
    painted = next(g for g in root.iter(f"{SVG}g") if g.get("clip-path"))
    label_rect, message_rect = list(painted.iter(f"{SVG}rect"))[:2]
    texts = [t.text for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]
    assert texts[0] == "contextjson" and label_rect.get("fill") == BadgeColor.LABEL
    return texts[1] or "", message_rect.get("fill") or ""


async def _badge(service: Service, path: str, **headers: str) -> httpx.Response:
    return await service.client.get(path, headers=headers)


async def test_a_ready_context_is_blue_cached_five_minutes_and_revalidates(installed: Installed) -> None:
    service = installed.service
    path = f"{installed.base}/context/explain/badge.svg"
    first = await _badge(service, path)
    assert _read(first) == ("explain", BadgeColor.READY)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == SETTLED and etag.startswith('"')

    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await _badge(service, path, **{"If-None-Match": header})
        assert again.status_code == 304 and again.content == b"", header
        assert (again.headers["etag"], again.headers["cache-control"]) == (etag, SETTLED)
    assert (await _badge(service, path, **{"If-None-Match": '"stale"'})).status_code == 200

    # The owner drops the context: the badge turns grey at once, under a new ETag, cached briefly.
    await installed.push({"context.json": json.dumps({"context": {"api": CONTEXT["context"]["api"]}})})
    gone = await _badge(service, path, **{"If-None-Match": etag})
    assert _read(gone) == ("explain: not found", BadgeColor.UNKNOWN)
    assert gone.headers["etag"] != etag and gone.headers["cache-control"] == CHANGING


async def test_unknown_things_get_a_grey_200_never_an_error(installed: Installed) -> None:
    service, base = installed.service, installed.base
    grey = {
        "/nobody/nothing/context/explain/badge.svg": "unavailable",
        "/-bad-/name/context/explain/badge.svg": "unavailable",
        f"{base}/context/Not_An_Id/badge.svg": "not found",
        f"{base}/context/nope/badge.svg": "nope: not found",
        f"{base}/tree/a..b/context/explain/badge.svg": "not found",
        "/nobody/nothing/badge.svg": "unavailable",
        f"{base}/tree/a..b/badge.svg": "not found",
    }
    for path, message in grey.items():
        resp = await _badge(service, path)
        assert _read(resp) == (message, BadgeColor.UNKNOWN), path
        assert resp.headers["cache-control"] == CHANGING, path
    # A branch no push or click has shown yet: no claim either way (a click would read it), cached briefly.
    unseen = await _badge(service, f"{base}/tree/never-pushed/context/explain/badge.svg")
    assert _read(unseen) == ("explain", BadgeColor.READY) and unseen.headers["cache-control"] == CHANGING
    assert _read(await _badge(service, f"{base}/tree/never-pushed/badge.svg")) == (
        "not checked yet",
        BadgeColor.UNKNOWN,
    )

    await installed.push({"context.json": None})
    assert _read(await _badge(service, f"{base}/context/explain/badge.svg")) == ("no context.json", BadgeColor.UNKNOWN)
    assert _read(await _badge(service, f"{base}/badge.svg")) == ("no context.json", BadgeColor.UNKNOWN)


async def test_a_context_with_errors_is_red(installed: Installed) -> None:
    broken = json.loads(json.dumps(CONTEXT))
    broken["context"]["explain"]["summary"] = "x" * 71
    await installed.push({"context.json": json.dumps(broken)})
    service, base = installed.service, installed.base
    assert _read(await _badge(service, f"{base}/context/explain/badge.svg")) == ("explain: invalid", BadgeColor.INVALID)
    assert _read(await _badge(service, f"{base}/context/api/badge.svg")) == ("api", BadgeColor.READY)
    assert _read(await _badge(service, f"{base}/badge.svg")) == ("2 contexts, 1 error", BadgeColor.INVALID)


async def test_the_repository_badge_counts_contexts_per_branch(installed: Installed) -> None:
    service, base = installed.service, installed.base
    whole = await _badge(service, f"{base}/badge.svg")
    assert _read(whole) == ("3 contexts", BadgeColor.READY) and whole.headers["cache-control"] == SETTLED
    assert _read(await _badge(service, f"{base}/tree/main/badge.svg")) == ("3 contexts", BadgeColor.READY)

    one = {"context": {"docs": CONTEXT["context"]["docs"]}}
    await installed.push({"context.json": json.dumps(one)}, branch="feature/docs")
    assert _read(await _badge(service, f"{base}/tree/feature/docs/badge.svg")) == ("1 context", BadgeColor.READY)
    assert _read(await _badge(service, f"{base}/tree/feature%2Fdocs/badge.svg")) == ("1 context", BadgeColor.READY)
    # Branch badges read their own branch: "explain" is not on feature/docs.
    on_branch = await _badge(service, f"{base}/tree/feature/docs/context/explain/badge.svg")
    assert _read(on_branch) == ("explain: not found", BadgeColor.UNKNOWN)
    assert _read(await _badge(service, f"{base}/tree/feature/docs/context/docs/badge.svg")) == (
        "docs",
        BadgeColor.READY,
    )

    # The visitor links beside the badges are untouched.
    link = await service.client.get(f"{base}/context/explain")
    assert link.status_code == 303 and link.headers["location"].startswith("/r/")


async def test_a_renamed_repository_keeps_its_readme_badges(installed: Installed) -> None:
    installed.fake_github.edit_repo(installed.repo, name="gadgets")
    payload = repository_payload("renamed", installed.repo, INSTALLATION_ID, old_name="widgets")
    assert (await installed.service.send_webhook("repository", payload)).status_code == 202
    await installed.service.drain_jobs()
    for path in ("/acme/widgets/context/explain/badge.svg", "/acme/gadgets/context/explain/badge.svg"):
        assert _read(await _badge(installed.service, path)) == ("explain", BadgeColor.READY), path
    assert _read(await _badge(installed.service, "/acme/widgets/badge.svg")) == ("3 contexts", BadgeColor.READY)


async def test_badges_of_an_owner_named_like_a_service_path(service: Service, fake_github: Any) -> None:
    repo = fake_github.add_repo("r", "tools", files={"context.json": json.dumps(CONTEXT)})
    fake_github.add_installation(INSTALLATION_ID, "r", [repo.id])
    payload = installation_payload("created", INSTALLATION_ID, fake_github.account("r"), [repo])
    assert (await service.send_webhook("installation", payload)).status_code == 202
    await service.drain_jobs()
    assert _read(await _badge(service, "/r/tools/badge.svg")) == ("3 contexts", BadgeColor.READY)
    assert _read(await _badge(service, "/r/tools/context/api/badge.svg")) == ("api", BadgeColor.READY)
    assert _read(await _badge(service, "/r/tools/tree/main/badge.svg")) == ("3 contexts", BadgeColor.READY)
