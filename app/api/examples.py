"""Examples of the /api bodies for the OpenAPI document: what a script sends and gets back (money as exact
decimal strings). tests/operations checks each against its schema, so they cannot drift from the models."""

from __future__ import annotations

from typing import Any

from app.openapi import parameter_examples

_AT = "2026-11-28T09:30:00+00:00"

ACCOUNT: dict[str, Any] = {
    "login": "acme",
    "balance_usd": "4.871250",
    "reserved_usd": "0.012000",
    "spent_this_month_usd": "0.128750",
}
LEDGER: list[dict[str, Any]] = [
    {
        "id": 42,
        "kind": "debit",
        "amount_usd": "-0.003125",
        "result_id": "k3v9q2m8x4t7b1np",
        "repo": "acme/widgets",
        "created_at": _AT,
        "note": "generation gpt-4.1-mini",
        "adjusted_by": None,
    },
    {
        "id": 1,
        "kind": "credit",
        "amount_usd": "5.000000",
        "result_id": None,
        "repo": None,
        "created_at": "2026-11-01T08:00:00+00:00",
        "note": "free credit",
        "adjusted_by": None,
    },
]
LEDGER_CSV = "id,kind,amount_usd,result_id,repo,created_at,note\r\n42,debit,-0.003125,k3v9q2m8x4t7b1np,acme/widgets,"
TOPUP_REQUEST: dict[str, Any] = {"amount_usd": "25"}
TOPUP: dict[str, Any] = {
    "session_id": "cs_test_a1B2c3D4e5",
    "checkout_url": "https://checkout.stripe.com/c/pay/cs_test_a1B2c3D4e5",
}
USAGE: dict[str, Any] = {
    "from": "2026-10-30",
    "to": "2026-11-28",
    "days": [
        {
            "day": "2026-11-28",
            "repo": "acme/widgets",
            "context_id": "explain",
            "clicks": 12,
            "cache_hits": 11,
            "generations": 1,
            "failures": 0,
            "prompt_tokens": 5200,
            "completion_tokens": 410,
            "cost_usd": "0.003125",
        }
    ],
    "repos": [
        {
            "repo": "acme/widgets",
            "visitors": [{"day": "2026-11-28", "visitors": 9}],
            "referrers": [{"name": "github.com", "clicks": 10}],
            "viewers": [],
        }
    ],
}
USAGE_CSV = "day,repo,context_id,clicks,cache_hits,generations,failures,prompt_tokens,completion_tokens,cost_usd\r\n"
KEY: dict[str, Any] = {
    "id": 7,
    "name": "CI",
    "prefix": "cj_Ab12Cd34",
    "monthly_cap_usd": "20.000000",
    "created_at": _AT,
    "last_used_at": None,
}
NEW_KEY: dict[str, Any] = {"name": "CI", "monthly_cap_usd": "20"}
CREATED_KEY: dict[str, Any] = {**KEY, "key": "cj_Ab12Cd34" + "x" * 29}
CONTEXT: dict[str, Any] = {
    "context_id": "explain",
    "status": "valid",
    "summary": "Explain this repo",
    "errors": [],
    "paused": False,
    "link": "https://contextjson.com/acme/widgets/context/explain",
}
REPO: dict[str, Any] = {
    "repo": "acme/widgets",
    "account": "acme",
    "private": False,
    "default_branch": "main",
    "monthly_cap_usd": "12.500000",
    "context_file": "valid",
    "errors": [],
    "contexts": [CONTEXT],
}
REPO_CHANGE: dict[str, Any] = {"monthly_cap_usd": "12.50"}
CONTEXT_CHANGE: dict[str, Any] = {"paused": True}
OPERATOR_ACCOUNTS: dict[str, Any] = {
    "accounts": [
        {
            "login": "acme",
            "type": "Organization",
            "github_url": "https://github.com/acme",
            "balance_usd": "4.871250",
            "reserved_usd": "0.000000",
            "spent_this_month_usd": "0.128750",
            "repos": 3,
            "last_activity_at": _AT,
            "last_activity": "answer",
        }
    ],
    "totals": {
        "accounts": 1,
        "balance_usd": "4.871250",
        "reserved_usd": "0.000000",
        "spent_this_month_usd": "0.128750",
        "repos": 3,
    },
}
ADJUSTMENT_REQUEST: dict[str, Any] = {"amount_usd": "10", "reason": "Refund for the outage on 27 November"}
ADJUSTMENT: dict[str, Any] = {
    "id": 43,
    "login": "acme",
    "amount_usd": "10.000000",
    "reason": "Refund for the outage on 27 November",
    "adjusted_by": "operator",
    "created_at": _AT,
    "balance_usd": "14.871250",
    "replayed": False,
}
REPO_NAMES = parameter_examples(owner="acme", repo="widgets", context_id="explain")
