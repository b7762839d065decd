"""The links router: visitor links and README badges, open to anyone (they serve only public repositories)."""

from __future__ import annotations

from collections.abc import Iterable

from litestar import Router

from app.context_api.routes import owner_routes as context_owner_routes
from app.context_api.routes import tree_post
from app.guards import ANONYMOUS
from app.links.controller import (
    OWNER_NAME,
    branch_link,
    default_branch_badge,
    default_branch_link,
    owner_routes,
    repo_badge,
)

# tree_post (POST on a branch's context base URL) is registered here: Litestar serves one path from one
# router only, and `/{owner}/{repo}/tree/{rest:path}` is the visitor link's.
router = Router(
    path="/",
    route_handlers=[default_branch_link, default_branch_badge, repo_badge, branch_link, tree_post],
    guards=ANONYMOUS,
    tags=["links"],
)


def owner_alias_router(first_segments: Iterable[str]) -> Router:
    """Link routes for every GitHub login that is also the first segment of another route (`r`, `schema`...).

    The context base URLs of those owners too (app.context_api), for the same reason and on the same paths.
    """
    owners = sorted(s for s in set(first_segments) if OWNER_NAME.match(s))
    handlers = [handler for owner in owners for handler in [*owner_routes(owner), *context_owner_routes(owner)]]
    return Router(path="/", route_handlers=handlers, guards=ANONYMOUS, include_in_schema=False)
