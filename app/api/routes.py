"""The /api router: signed-in viewers only (`logged_in`); each route reaches only the viewer's accounts."""

from __future__ import annotations

from litestar import Router

from app.api.account import get_account
from app.api.keys import delete_key, list_keys, post_key
from app.api.ledger import get_ledger, get_ledger_csv
from app.api.repos import get_repos, patch_context, patch_repo
from app.api.topup import post_topup
from app.api.usage import get_usage, get_usage_csv
from app.auth.middleware import RESPONSE_COOKIES
from app.guards import logged_in

router = Router(
    path="/api",
    route_handlers=[
        get_account,
        get_ledger,
        get_ledger_csv,
        post_topup,
        get_usage,
        list_keys,
        post_key,
        delete_key,
        get_usage_csv,
        get_repos,
        patch_repo,
        patch_context,
    ],
    guards=[logged_in],
    middleware=[RESPONSE_COOKIES],
    tags=["api"],
)
