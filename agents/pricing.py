"""What a call cost, exactly, in nano-dollars, from its usage and the price table.

Prices are Decimal dollars per million tokens; the sum is taken in Decimal and rounded once to
a nano-dollar, so ledger totals add up to the cent whatever the number of calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from agents.errors import ModelPriceMissing
from agents.providers.base import Usage
from agents.settings import ModelPrice
from storage.money import usd_to_nano

_MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Cost:
    nanousd: int
    provider_cache_saved_nanousd: int


def missing_price_message(model: str) -> str:
    return (
        f"model {model} has no price: add it to MODEL_PRICES (dollars per million tokens; "
        'use {"input": "0", "output": "0"} for a free local model)'
    )


def price_for(prices: dict[str, ModelPrice], model: str) -> ModelPrice:
    """The model's price. A model missing from the table is refused before any call: a spend
    that cannot be counted could not be held to the project's budget."""
    price = prices.get(model)
    if price is None:
        raise ModelPriceMissing(missing_price_message(model))
    return price


def _per_million(tokens: int, dollars: Decimal | None) -> Decimal:
    return Decimal(tokens) * (dollars or Decimal(0)) / _MILLION


def cost_of(usage: Usage, price: ModelPrice) -> Cost:
    """uncached input x input + cached x cached + writes x write + output x output; what the
    provider's cache saved is the cached tokens at the difference to the full input price."""
    dollars = (
        _per_million(usage.input_tokens, price.input)
        + _per_million(usage.cached_input_tokens, price.cached_input)
        + _per_million(usage.cache_write_tokens, price.cache_write)
        + _per_million(usage.output_tokens, price.output)
    )
    discount = price.input - (price.cached_input or Decimal(0))
    saved = _per_million(usage.cached_input_tokens, discount)
    return Cost(nanousd=usd_to_nano(dollars), provider_cache_saved_nanousd=usd_to_nano(saved))
