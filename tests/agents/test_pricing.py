"""Costs from usage and the price table, exact in nano-dollars."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.errors import ModelPriceMissing
from agents.pricing import cost_of, price_for
from agents.providers.base import Usage
from agents.settings import DEFAULT_PRICES, ModelPrice
from storage.money import format_usd


def test_openai_call_prices_cached_tokens_as_cached() -> None:
    usage = Usage(input_tokens=1500, cached_input_tokens=1024, output_tokens=500)

    cost = cost_of(usage, DEFAULT_PRICES["gpt-4.1"])

    # 1500 x $2 + 1024 x $0.50 + 500 x $8, per million tokens
    assert cost.nanousd == 7_512_000
    assert cost.provider_cache_saved_nanousd == 1_536_000  # 1024 x ($2 - $0.50)


def test_anthropic_call_prices_reads_and_writes() -> None:
    usage = Usage(
        input_tokens=300, cached_input_tokens=5000, cache_write_tokens=2000, output_tokens=1200
    )

    cost = cost_of(usage, DEFAULT_PRICES["claude-sonnet-4-6"])

    # 300 x $3 + 5000 x $0.30 + 2000 x $3.75 + 1200 x $15, per million tokens
    assert cost.nanousd == 27_900_000
    assert cost.provider_cache_saved_nanousd == 13_500_000


def test_many_small_calls_add_up_to_the_cent() -> None:
    usage = Usage(input_tokens=333, cached_input_tokens=77, output_tokens=41)
    price = DEFAULT_PRICES["gpt-4.1-nano"]  # $0.10, $0.025, $0.40 per million

    total = sum(cost_of(usage, price).nanousd for _ in range(100_000))

    # per call: 33.3 + 1.925 + 16.4 = 51.625 micro-dollars, exactly
    assert total == 5_162_500_000
    assert format_usd(total) == "$5.16"


def test_a_model_without_a_price_is_refused_with_what_to_set() -> None:
    with pytest.raises(ModelPriceMissing) as caught:
        price_for(DEFAULT_PRICES, "llama3:70b")
    assert "model llama3:70b has no price: add it to MODEL_PRICES" in str(caught.value)


def test_a_local_model_priced_at_zero_costs_nothing() -> None:
    free = ModelPrice(input=Decimal(0), output=Decimal(0))
    price = price_for({**DEFAULT_PRICES, "llama3:70b": free}, "llama3:70b")
    assert cost_of(Usage(input_tokens=10**6, output_tokens=10**6), price).nanousd == 0
