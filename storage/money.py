"""Money as integers of nano-dollars (10⁻⁹ USD): exact sums, no float rounding drift.

A price of $0.075 per million tokens is 75 nano-dollars per thousand tokens, so per-token costs
stay exact when kept in nano-dollars and divided only once, at the end.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

NANO = 10**9
_CENT = NANO // 100
_MAX_DECIMALS = 6


def usd_to_nano(value: Decimal | str | int) -> int:
    """Dollars to nano-dollars; finer fractions round half-even (a nano-dollar is far below
    any price's precision). Floats are refused: they carry binary rounding error."""
    if isinstance(value, float):
        raise TypeError("give dollars as Decimal, str or int, not float")
    try:
        dollars = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not an amount of dollars: {value!r}") from None
    if not dollars.is_finite():
        raise ValueError(f"not a finite amount of dollars: {value!r}")
    return int((dollars * NANO).to_integral_value(rounding=ROUND_HALF_EVEN))


def nano_to_usd(nano: int) -> Decimal:
    """Nano-dollars to an exact Decimal of dollars."""
    return Decimal(nano).scaleb(-9)


def _decimals_for(nano: int) -> int:
    """Two decimals for a cent or more; below a cent, two significant digits (up to six
    decimals), so a small nonzero spend never reads as $0.00."""
    if nano == 0 or abs(nano) >= _CENT:
        return 2
    significant = -nano_to_usd(abs(nano)).adjusted() + 1
    return min(_MAX_DECIMALS, max(2, significant))


def format_usd(nano: int) -> str:
    """`$1.23`, `$1,234.50`, `$0.0042`, `-$0.50`; `<$0.000001` for a nonzero crumb."""
    decimals = _decimals_for(nano)
    amount = nano_to_usd(abs(nano)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    sign = "-" if nano < 0 else ""
    if amount == 0 and nano != 0:
        return f"{sign}<$0.{'0' * (_MAX_DECIMALS - 1)}1"
    return f"{sign}${amount:,f}"
