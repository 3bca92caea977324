"""The status comment's view model: a plain, frozen snapshot of a project that
`bot.status.view` builds from the database and `bot.status.render` turns into Markdown."""

from __future__ import annotations

from dataclasses import dataclass

from storage.states import PhaseState


@dataclass(frozen=True)
class PhaseView:
    number: int
    name: str
    state: PhaseState
    depends_on: tuple[int, ...]
    acceptance_criteria: tuple[str, ...]
    pr_number: int | None
    pr_url: str | None
    revisions: int
    note: str | None


@dataclass(frozen=True)
class CostView:
    spent_nanousd: int
    budget_nanousd: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_saved_nanousd: int
    estimate_remaining_nanousd: int | None


@dataclass(frozen=True)
class Totals:
    phases: int
    skipped: int
    pull_requests: int
    revisions: int
    input_tokens: int
    output_tokens: int
    spent_nanousd: int
    cache_saved_nanousd: int


@dataclass(frozen=True)
class StatusView:
    project_ref: str
    step: str
    state: str
    phases: tuple[PhaseView, ...]
    cost: CostView
    plan_url: str | None
    final_pr_url: str | None
    notices: tuple[str, ...]
    totals: Totals | None
