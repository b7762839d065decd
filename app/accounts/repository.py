"""SQL for accounts, installations and repositories."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import Account, Installation, Repository, RepositoryName, utcnow
from app.db.upsert import dialect_insert, upsert


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
    archived: bool | None = None,
    visibility_is_current: bool = False,
) -> tuple[str, str] | None:
    """Create or refresh a repository the installation can see; returns its previous (owner, name) if renamed.

    Renames keep the same id and the old name is recorded so old links can redirect. Unless the caller read
    the visibility from GitHub just now (`visibility_is_current`), a public flag never overrides a private
    one: events can arrive out of order, and a late push from before `privatized` must not publish the repo.
    """
    previous = await rename_repository(session, repo_id, owner, name)
    if previous is None:
        await release_name(session, owner, name)  # a new repository may take a name another one left
    now = utcnow()
    values: dict[str, Any] = {
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
        "archived": bool(archived),
        "created_at": now,
        "updated_at": now,
    }
    table = Repository.__table__  # type: ignore[attr-defined]
    stmt = dialect_insert(session, table).values(**values)
    updated = ["installation_id", "account_id", "active", "updated_at"]
    updated += ["default_branch"] if default_branch is not None else []
    updated += ["archived"] if archived is not None else []
    changes = {column: stmt.excluded[column] for column in updated}
    changes["private"] = stmt.excluded.private if visibility_is_current else or_(stmt.excluded.private, table.c.private)
    await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=changes))
    return previous


async def rename_repository(session: AsyncSession, repo_id: int, owner: str, name: str) -> tuple[str, str] | None:
    """Give a known repository its new owner/name, keeping the old one for redirects; returns the old one."""
    stmt = select(col(Repository.owner), col(Repository.name)).where(col(Repository.id) == repo_id)
    row = (await session.execute(stmt)).first()
    if row is None or tuple(row) == (owner, name):
        return None
    old_owner, old_name = row
    if (old_owner.lower(), old_name.lower()) != (owner.lower(), name.lower()):
        await upsert(
            session,
            RepositoryName,
            {
                "owner_lower": old_owner.lower(),
                "name_lower": old_name.lower(),
                "repository_id": repo_id,
                "created_at": utcnow(),
            },
            conflict=["owner_lower", "name_lower"],
            update=["repository_id", "created_at"],
        )
        await release_name(session, owner, name)
    await session.execute(
        update(Repository)
        .where(col(Repository.id) == repo_id)
        .values(owner=owner, name=name, owner_lower=owner.lower(), name_lower=name.lower(), updated_at=utcnow())
    )
    return old_owner, old_name


async def release_name(session: AsyncSession, owner: str, name: str) -> None:
    """A repository is now called owner/name: that name no longer redirects anywhere else."""
    await session.execute(
        delete(RepositoryName).where(
            col(RepositoryName.owner_lower) == owner.lower(), col(RepositoryName.name_lower) == name.lower()
        )
    )


async def set_repository(session: AsyncSession, repo_id: int, **values: Any) -> None:
    """Update some columns of a repository (private, archived, active, default_branch, ...)."""
    await session.execute(update(Repository).where(col(Repository.id) == repo_id).values(**values, updated_at=utcnow()))


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


async def repositories_of_account(session: AsyncSession, account_id: int) -> list[Repository]:
    stmt = select(Repository).where(col(Repository.account_id) == account_id)
    return list((await session.execute(stmt)).scalars())


async def get_account_by_github_id(session: AsyncSession, github_id: int) -> Account | None:
    return (await session.execute(select(Account).where(col(Account.github_id) == github_id))).scalar_one_or_none()


async def set_account_login(session: AsyncSession, account_id: int, login: str) -> None:
    await session.execute(update(Account).where(col(Account.id) == account_id).values(login=login))


async def live_installation_of_account(session: AsyncSession, account_id: int) -> Installation | None:
    """The account's installation that is neither deleted nor suspended, if any."""
    stmt = select(Installation).where(
        col(Installation.account_id) == account_id,
        col(Installation.deleted_at).is_(None),
        col(Installation.suspended_at).is_(None),
    )
    return (await session.execute(stmt)).scalars().first()


async def accounts_among(session: AsyncSession, account_ids: Iterable[int]) -> list[Account]:
    """These accounts, by login."""
    ids = list(account_ids)
    if not ids:
        return []
    stmt = select(Account).where(col(Account.id).in_(ids)).order_by(func.lower(col(Account.login)))
    return list((await session.execute(stmt)).scalars())


async def account_among_by_login(session: AsyncSession, account_ids: Iterable[int], login: str) -> Account | None:
    """The account with this login (case-insensitive, as GitHub's are), if it is one of `account_ids`."""
    ids = list(account_ids)
    if not ids:
        return None
    stmt = select(Account).where(col(Account.id).in_(ids), func.lower(col(Account.login)) == login.lower())
    return (await session.execute(stmt)).scalars().first()


async def account_by_login(session: AsyncSession, login: str) -> Account | None:
    """The account with this login (case-insensitive), whoever may reach it: for operator commands only."""
    stmt = select(Account).where(func.lower(col(Account.login)) == login.lower()).order_by(col(Account.id))
    return (await session.execute(stmt)).scalars().first()
