"""Failures the workflow reports and does not retry: running the step again would give the same
answer (the response cache holds it) or spend money for nothing."""

from __future__ import annotations

from agents.errors import (
    AgentOutputError,
    EditError,
    ModelPriceMissing,
    ProviderKeyMissing,
    UnknownTemplate,
)
from bot.github.repo import NoCommitsBetween


class PhaseRefused(Exception):
    """The agents' output cannot be committed (bad paths, limits); nothing was committed."""


TERMINAL: tuple[type[Exception], ...] = (
    AgentOutputError,
    EditError,
    ModelPriceMissing,
    ProviderKeyMissing,
    UnknownTemplate,
    PhaseRefused,
    NoCommitsBetween,  # the files are already there: a retry finds the same
)
