"""SQL for accounts, installations and repositories."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import Account, Installation, Repository, utcnow
from app.db.upsert import upsert


async def upsert_account(session: AsyncSession, *, github_id: int, login: str, type_: str) -> Account:
    """Create or refresh the account for a GitHub user/org (logins can change; the id cannot)."""
    await upsert(
        session,
        Account,
        {"github_id": github_id, "login": login, "type": type_, "balance_micros": 0, "created_at": utcnow()},
        conflict=["github_id"],
        update=["login", "type"],
    )
    account = (await session.execute(select(Account).where(col(Account.github_id) == github_id))).scalar_one()
    await session.refresh(account)
    return account


async def upsert_installation(
    session: AsyncSession,
    *,
    installation_id: int,
    account_id: int,
    repository_selection: str,
    permissions: dict[str, str],
    suspended: bool,
) -> Installation:
    """Create or refresh an installation; a reinstall under the same id is live again."""
    now = utcnow()
    await upsert(
        session,
        Installation,
        {
            "id": installation_id,
            "account_id": account_id,
            "repository_selection": repository_selection,
            "permissions": permissions,
            "suspended_at": now if suspended else None,
            "deleted_at": None,
            "created_at": now,
            "updated_at": now,
        },
        conflict=["id"],
        update=["account_id", "repository_selection", "permissions", "suspended_at", "deleted_at", "updated_at"],
    )
    installation = await session.get(Installation, installation_id)
    assert installation is not None
    await session.refresh(installation)
    return installation


async def get_installation(session: AsyncSession, installation_id: int) -> Installation | None:
    return await session.get(Installation, installation_id)


async def set_installation_state(
    session: AsyncSession, installation_id: int, *, suspended: bool | None = None, deleted: bool | None = None
) -> None:
    """Mark an installation suspended/unsuspended or deleted; deletion also deactivates its repos."""
    values: dict[str, object] = {"updated_at": utcnow()}
    if suspended is not None:
        values["suspended_at"] = utcnow() if suspended else None
    if deleted is not None:
        values["deleted_at"] = utcnow() if deleted else None
    await session.execute(update(Installation).where(col(Installation.id) == installation_id).values(**values))
    if deleted:
        await session.execute(
            update(Repository).where(col(Repository.installation_id) == installation_id).values(active=False)
        )


async def upsert_repository(
    session: AsyncSession,
    *,
    repo_id: int,
    installation_id: int | None,
    account_id: int,
    owner: str,
    name: str,
    private: bool,
    default_branch: str | None,
) -> None:
    """Create or refresh a repository the installation can see (renames keep the same id)."""
    now = utcnow()
    values = {
        "id": repo_id,
        "installation_id": installation_id,
        "account_id": account_id,
        "owner": owner,
        "name": name,
        "owner_lower": owner.lower(),
        "name_lower": name.lower(),
        "private": private,
        "default_branch": default_branch,
        "active": True,
        "created_at": now,
        "updated_at": now,
    }
    updated = [
        "installation_id",
        "account_id",
        "owner",
        "name",
        "owner_lower",
        "name_lower",
        "private",
        "active",
        "updated_at",
    ]
    if default_branch is not None:
        updated.append("default_branch")
    await upsert(session, Repository, values, conflict=["id"], update=updated)


async def deactivate_repositories(session: AsyncSession, repo_ids: Iterable[int]) -> None:
    """Repositories removed from an installation stop serving links (their history is kept)."""
    ids = list(repo_ids)
    if ids:
        await session.execute(
            update(Repository).where(col(Repository.id).in_(ids)).values(active=False, updated_at=utcnow())
        )


async def get_repository(session: AsyncSession, repo_id: int) -> Repository | None:
    return await session.get(Repository, repo_id)


async def find_repository(session: AsyncSession, owner: str, name: str) -> Repository | None:
    """The active repository with this owner/name (case-insensitive, as GitHub's are)."""
    stmt = (
        select(Repository)
        .where(col(Repository.owner_lower) == owner.lower(), col(Repository.name_lower) == name.lower())
        .order_by(col(Repository.active).desc())
    )
    return (await session.execute(stmt)).scalars().first()


async def repositories_of_installation(session: AsyncSession, installation_id: int) -> list[Repository]:
    stmt = select(Repository).where(
        col(Repository.installation_id) == installation_id, col(Repository.active).is_(True)
    )
    return list((await session.execute(stmt)).scalars())
