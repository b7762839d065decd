"""Money at the edge: exact decimal strings, never floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.billing.money import parse_usd, usd_text


def test_usd_text_is_exact_with_six_decimals() -> None:
    assert usd_text(0) == "0.000000"
    assert usd_text(1_234_567) == "1.234567"
    assert usd_text(-50) == "-0.000050"
    assert usd_text(5_000_000) == "5.000000"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_text_and_parse_round_trip(micros: int) -> None:
    assert parse_usd(usd_text(micros)) == micros
    assert Decimal(usd_text(micros)) * 1_000_000 == micros


@pytest.mark.parametrize("bad", ["", "abc", "NaN", "Infinity", "1.0000001", "1e400000000000"])
def test_parse_refuses_what_is_not_an_exact_amount(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_usd(bad)


def test_parse_accepts_json_numbers_and_strings() -> None:
    assert parse_usd("25") == 25_000_000
    assert parse_usd(12.5) == 12_500_000
    assert parse_usd(" 0.10 ") == 100_000
