"""Money as the API and pages show it: exact decimal strings of US dollars, from integer micro-dollars.

Amounts are stored and summed as integers of micro-dollars (1 USD = 1,000,000); they become text only at
the edge, so no float ever touches a sum.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from app.db.models import MICROS_PER_USD

_MICRO = Decimal("0.000001")
_MAX_DIGITS = 15  # no amount of money this service handles has more digits before (or zeros after) the point


def usd_text(micros: int) -> str:
    """`1234567` → `"1.234567"`; always six decimals, so values compare and sum exactly as text too."""
    return str((Decimal(micros) / MICROS_PER_USD).quantize(_MICRO))


def parse_usd(text: str | int | float | Decimal) -> int:
    """A dollar amount from a form or JSON body as micro-dollars; ValueError unless a finite number with at most
    six decimals (so nothing is silently rounded)."""
    try:
        amount = Decimal(str(text).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{str(text)[:40]!r} is not an amount in dollars") from exc
    if not amount.is_finite() or abs(amount.adjusted()) > _MAX_DIGITS:
        raise ValueError("the amount must be a finite number of reasonable size")
    micros = amount * MICROS_PER_USD
    if micros != micros.to_integral_value():
        raise ValueError("amounts have at most six decimals")
    return int(micros)
