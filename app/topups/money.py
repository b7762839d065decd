"""Top-up amounts: USD cents at Stripe, micro-dollars in the ledger, decimal strings for people."""

from __future__ import annotations

from decimal import Decimal

from app.db.models import MICROS_PER_USD

CENTS_PER_USD = 100
MICROS_PER_CENT = MICROS_PER_USD // CENTS_PER_USD


def usd_text(micros: int) -> str:
    """Micro-dollars as an exact decimal string ("12.50"; more places only when not whole cents)."""
    amount = Decimal(micros) / MICROS_PER_USD
    return f"{amount:.2f}" if micros % MICROS_PER_CENT == 0 else f"{amount:f}"
