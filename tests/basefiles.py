"""A small existing service on `main`, for projects that start on a repository with files (as
real ones do): a README and a pyproject, a settings module, money and error helpers, an
in-memory store, and their tests. The workflow reads them in full at plan time (up to its
40 base files) and every prompt's file map names them."""

from __future__ import annotations

README = """# Orders

A small back-office service: customers, orders and their money amounts.

## Layout

- `app/settings.py`: settings from the environment
- `app/money.py`: exact amounts in cents, with a currency
- `app/errors.py`: the errors the services raise
- `app/store.py`: an in-memory store the services share
- `tests/`: pytest

## Development

    python -m pip install -e '.[test]'
    python -m pytest
"""

PYPROJECT = """[project]
name = "orders"
version = "0.3.0"
requires-python = ">=3.11"
dependencies = []

[project.optional-dependencies]
test = ["pytest>=8"]

[tool.pytest.ini_options]
testpaths = ["tests"]

[tool.mypy]
strict = true
"""

SETTINGS = '''"""Settings from the environment, read once."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    currency: str = "EUR"
    page_size: int = 50
    max_page_size: int = 500


def load(environ: dict[str, str] | None = None) -> Settings:
    """Settings from `environ` (the process environment by default)."""
    env = os.environ if environ is None else environ
    page_size = int(env.get("ORDERS_PAGE_SIZE", "50"))
    maximum = int(env.get("ORDERS_MAX_PAGE_SIZE", "500"))
    if not 0 < page_size <= maximum:
        raise ValueError("ORDERS_PAGE_SIZE must be between 1 and ORDERS_MAX_PAGE_SIZE")
    return Settings(
        currency=env.get("ORDERS_CURRENCY", "EUR"), page_size=page_size, max_page_size=maximum
    )
'''

MONEY = '''"""Exact money amounts: integer cents with a currency, never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from app.errors import CurrencyMismatch


@dataclass(frozen=True, order=True)
class Money:
    cents: int
    currency: str = "EUR"

    @classmethod
    def parse(cls, text: str, currency: str = "EUR") -> Money:
        """`"12.30"` -> 1230 cents; rounds half to even past the second decimal."""
        amount = Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        return cls(int(amount * 100), currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents - other.cents, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.cents * quantity, self.currency)

    def split(self, parts: int) -> list[Money]:
        """Shares that add up to the amount exactly: the first ones get the extra cents."""
        if parts < 1:
            raise ValueError("parts must be positive")
        share, extra = divmod(self.cents, parts)
        return [Money(share + (1 if i < extra else 0), self.currency) for i in range(parts)]

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)

    def __str__(self) -> str:
        sign = "-" if self.cents < 0 else ""
        whole, cents = divmod(abs(self.cents), 100)
        return f"{sign}{whole}.{cents:02d} {self.currency}"


def total(amounts: list[Money], currency: str = "EUR") -> Money:
    """The sum of `amounts` (zero in `currency` for none)."""
    result = Money(0, currency)
    for amount in amounts:
        result = result + amount
    return result
'''

ERRORS = '''"""The errors the services raise; the API layer maps each to one status code."""

from __future__ import annotations


class OrdersError(Exception):
    """Base of every error of ours."""


class NotFound(OrdersError):
    def __init__(self, kind: str, record_id: int) -> None:
        super().__init__(f"{kind} {record_id} not found")
        self.kind = kind
        self.record_id = record_id


class CurrencyMismatch(OrdersError):
    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine {left} and {right}")


class Conflict(OrdersError):
    """The record changed since it was read."""
'''

STORE = '''"""An in-memory store the services share: records by kind and id, with versions for
optimistic updates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.errors import Conflict, NotFound


@dataclass
class Stored:
    value: Any
    version: int = 1


@dataclass
class Store:
    records: dict[str, dict[int, Stored]] = field(default_factory=dict)
    next_ids: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, value: Any) -> int:
        record_id = self.next_ids.get(kind, 1)
        self.next_ids[kind] = record_id + 1
        self.records.setdefault(kind, {})[record_id] = Stored(value)
        return record_id

    def get(self, kind: str, record_id: int) -> Stored:
        try:
            return self.records[kind][record_id]
        except KeyError:
            raise NotFound(kind, record_id) from None

    def update(self, kind: str, record_id: int, value: Any, *, version: int) -> int:
        """Replaces the record if it is still at `version`; returns the new version."""
        stored = self.get(kind, record_id)
        if stored.version != version:
            raise Conflict(f"{kind} {record_id} is at version {stored.version}")
        stored.value, stored.version = value, version + 1
        return stored.version

    def page(self, kind: str, *, after: int = 0, limit: int = 50) -> list[tuple[int, Any]]:
        """Records of `kind` with ids above `after`, in id order, at most `limit`."""
        found = sorted(self.records.get(kind, {}).items())
        return [(i, s.value) for i, s in found if i > after][:limit]
'''

TEST_MONEY = """from app.money import Money, total


def test_parse_rounds_half_to_even() -> None:
    assert Money.parse("0.125").cents == 12
    assert Money.parse("12.30").cents == 1230


def test_split_adds_up() -> None:
    shares = Money(1000).split(3)
    assert [s.cents for s in shares] == [334, 333, 333]
    assert total(shares) == Money(1000)


def test_str() -> None:
    assert str(Money(-1205)) == "-12.05 EUR"
"""

TEST_STORE = """import pytest

from app.errors import Conflict, NotFound
from app.store import Store


def test_add_and_page() -> None:
    store = Store()
    ids = [store.add("order", {"n": n}) for n in range(3)]
    assert ids == [1, 2, 3]
    assert [i for i, _ in store.page("order", after=1)] == [2, 3]


def test_update_checks_the_version() -> None:
    store = Store()
    record_id = store.add("order", {})
    assert store.update("order", record_id, {"paid": True}, version=1) == 2
    with pytest.raises(Conflict):
        store.update("order", record_id, {}, version=1)


def test_missing_record() -> None:
    with pytest.raises(NotFound):
        Store().get("order", 9)
"""

BASE_FILES = {
    "README.md": README,
    "pyproject.toml": PYPROJECT,
    "app/__init__.py": "",
    "app/settings.py": SETTINGS,
    "app/money.py": MONEY,
    "app/errors.py": ERRORS,
    "app/store.py": STORE,
    "tests/test_money.py": TEST_MONEY,
    "tests/test_store.py": TEST_STORE,
}
