"""/dashboard/repos/{owner}/{repo}: a repository's page, and its forms (monthly cap, pause a context).

Each form posts, then answers 303 back to the page with a notice; refused input shows the page again with
a red error block saying why (400).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from litestar import get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response
from msgspec import Struct
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.viewer import Viewer
from app.context_settings.access import viewer_repository
from app.context_settings.service import InvalidCap, change_cap, change_pause
from app.links.invalidation import InvalidationBus
from app.models_catalog import ModelCatalog
from app.pages import html_response
from app.security_headers import new_nonce
from app.settings import Settings
from dashboard.pages import render, repo_page_path
from dashboard.repo_page import RepoPage, notice_text, repo_page

PRIVATE = {"Cache-Control": "private, no-store"}  # one owner's figures: no shared or back-button cache


def _html(page: RepoPage, status_code: int = 200) -> Response[str]:
    nonce = new_nonce()  # the copy buttons' script carries it
    text = render("repo.html", title=f"{page.owner}/{page.name}", page=page, csp_nonce=nonce)
    return html_response(text, status_code=status_code, headers=PRIVATE, nonce=nonce)


def _back(owner: str, repo: str, **notice: str) -> Redirect:
    return Redirect(f"{repo_page_path(owner, repo)}?{urlencode(notice)}", status_code=303, headers=PRIVATE)


@get("/repos/{owner:str}/{repo:str}", include_in_schema=False, media_type="text/html")
async def repo_view(
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    settings: NamedDependency[Settings],
    catalog: NamedDependency[ModelCatalog],
    owner: FromPath[str],
    repo: FromPath[str],
    saved: FromQuery[str | None] = None,
    context: FromQuery[str | None] = None,
) -> Response[str]:
    """Contexts, badges, this month's usage, recent answers, referrers, cap and pause."""
    page = await repo_page(
        session, viewer, settings, owner, repo, model=catalog.default_model, notice=notice_text(saved, context)
    )
    return _html(page)


class CapForm(Struct):
    monthly_cap_usd: str = ""
    csrf_token: str = ""  # checked by the guard (app.auth.viewer.check_csrf)


@post("/repos/{owner:str}/{repo:str}/cap", include_in_schema=False, status_code=303)
async def repo_cap(
    data: Annotated[CapForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    settings: NamedDependency[Settings],
    catalog: NamedDependency[ModelCatalog],
    owner: FromPath[str],
    repo: FromPath[str],
) -> Response[str] | Redirect:
    """Save the monthly cap (empty: none), or show the page again saying what is wrong with it."""
    found = await viewer_repository(session, viewer, owner, repo)
    try:
        await change_cap(session, found, data.monthly_cap_usd)
    except InvalidCap as refused:
        await session.rollback()
        page = await repo_page(
            session,
            viewer,
            settings,
            owner,
            repo,
            model=catalog.default_model,
            error=refused.detail,
            cap_input=data.monthly_cap_usd[:40],
        )
        return _html(page, status_code=refused.status_code)
    await session.commit()
    return _back(found.owner, found.name, saved="cap")


class PauseForm(Struct):
    paused: str = "1"  # "1": pause, "0": resume
    csrf_token: str = ""


@post("/repos/{owner:str}/{repo:str}/contexts/{context_id:str}/pause", include_in_schema=False, status_code=303)
async def repo_pause(
    data: Annotated[PauseForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    settings: NamedDependency[Settings],
    invalidation: NamedDependency[InvalidationBus],
    owner: FromPath[str],
    repo: FromPath[str],
    context_id: FromPath[str],
) -> Redirect:
    """Pause or resume a context; visitor links everywhere follow once this commits."""
    found = await viewer_repository(session, viewer, owner, repo)
    paused = data.paused != "0"
    await change_pause(session, invalidation, found, context_id, paused, public_base=settings.public_base)
    await session.commit()
    return _back(found.owner, found.name, saved="paused" if paused else "resumed", context=context_id)


ROUTES = [repo_view, repo_cap, repo_pause]
