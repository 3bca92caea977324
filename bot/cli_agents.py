"""CLI commands over the agents' storage: cache, cost and phase documentation."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Registers `cache`, `cost` and `docs` (filled in by the agents issue)."""
