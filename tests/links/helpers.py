"""A repository installed on the fake GitHub with a context.json, ready for visitor clicks."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from app.db.models import Account, LedgerEntry, Result
from tests.conftest import Service
from tests.support.payloads import installation_payload, push_payload

INSTALLATION_ID = 5150

CONTEXT = {
    "context": {
        "explain": {
            "summary": "Explain this repo",
            "prompt": "Explain what {{owner}}/{{repo}} does on {{branch}}.",
            "pathPatterns": ["README.md", "src/**"],
        },
        "api": {"summary": "Describe the API", "pathPatterns": ["src/**"], "maxTokens": 200},
        "docs": {"summary": "Summarise the docs", "pathPatterns": ["docs/**"]},
    }
}


@dataclass
class Installed:
    service: Service
    fake_github: Any
    repo: Any

    @property
    def base(self) -> str:
        return f"/{self.repo.owner.login}/{self.repo.name}"

    async def push(self, files: dict[str, Any], branch: str = "main") -> str:
        before = self.repo.branches.get(branch, "0" * 40)
        after = self.repo.commit(branch, files)
        payload = push_payload(
            self.repo,
            INSTALLATION_ID,
            branch=branch,
            before=before,
            after=after,
            added=[p for p, v in files.items() if v is not None],
            removed=[p for p, v in files.items() if v is None],
        )
        assert (await self.service.send_webhook("push", payload)).status_code == 202
        await self.service.drain_jobs()
        return after

    async def click(self, path: str = "/context/explain", **headers: str) -> Any:
        return await self.service.client.get(self.base + path, headers=headers)

    async def click_and_finish(self, path: str = "/context/explain") -> dict[str, Any]:
        resp = await self.click(path)
        assert resp.status_code == 303, resp.text
        await self.service.drain_jobs()
        return (await self.service.client.get(resp.headers["location"].split("?")[0] + ".json")).json()

    async def account(self) -> Account:
        async with self.service.clients.sessions() as session:
            return (await session.execute(select(Account).where(Account.login == self.repo.owner.login))).scalar_one()

    async def set_balance(self, micros: int) -> None:
        async with self.service.clients.sessions() as session:
            await session.execute(update(Account).values(balance_micros=micros))
            await session.commit()

    async def debits(self) -> list[LedgerEntry]:
        async with self.service.clients.sessions() as session:
            stmt = select(LedgerEntry).where(LedgerEntry.kind == "debit").order_by(LedgerEntry.id)
            return list((await session.execute(stmt)).scalars())

    async def results(self) -> list[Result]:
        async with self.service.clients.sessions() as session:
            return list((await session.execute(select(Result).order_by(Result.created_at))).scalars())


async def install_repo(
    service: Service,
    fake_github: Any,
    *,
    private: bool = False,
    context: dict[str, Any] | str | None = None,
    name: str = "widgets",
    drain: bool = True,
    extra_repos: list[Any] | None = None,
) -> Installed:
    files: dict[str, Any] = {
        "README.md": "# Widgets\nA library of widgets.\n",
        "src/widgets.py": "def widget():\n    return 42\n",
        "docs/guide.md": "How to use widgets.\n",
    }
    files["context.json"] = (
        json.dumps(CONTEXT) if context is None else (context if isinstance(context, str) else json.dumps(context))
    )
    repo = fake_github.add_repo("acme", name, private=private, files=files)
    repos = [repo, *(extra_repos or [])]
    fake_github.add_installation(INSTALLATION_ID, "acme", [r.id for r in repos], account_type="Organization")
    payload = installation_payload("created", INSTALLATION_ID, fake_github.account("acme"), repos)
    assert (await service.send_webhook("installation", payload)).status_code == 202
    if drain:
        await service.drain_jobs()
    return Installed(service, fake_github, repo)


async def finish_link_refreshes(service: Service) -> int:
    """Wait for the background refreshes that stale hits started; returns how many there were."""
    refreshes = list(service.app.state.link_resolver._inflight.values())
    await asyncio.wait_for(asyncio.gather(*refreshes, return_exceptions=True), timeout=30)
    return len(refreshes)
