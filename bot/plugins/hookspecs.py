"""The hooks a plugin may implement, as pluggy specs (datasette's and llm's habit).

A plugin is a module (or object) whose functions carry `@hookimpl` and the name of a hook; it
takes any of the spec's arguments it needs, by name. An implementation may be `async def`.
Event hooks run in the `plugin_event` job, never on the webhook path, each within
PLUGIN_TIMEOUT_SECONDS; what they return is ignored, and what they raise is logged.
"""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from bot.files.project_templates import ProjectTemplate
from bot.plugins.context import PluginContext
from bot.plugins.events import (
    BudgetPaused,
    CIFailed,
    PhaseFailed,
    PhaseMerged,
    PhaseOpened,
    PhaseReviewed,
    PlanApproved,
    PlanReady,
    ProjectAborted,
    ProjectDone,
    ProjectFailed,
    ProjectStarted,
)
from bot.plugins.findings import Finding, ReviewCheck

PROJECT = "ai_orchestrator"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def project_started(event: ProjectStarted, context: PluginContext) -> None:
    """A person with write permission labelled an issue: its project began."""


@hookspec
def plan_ready(event: PlanReady, context: PluginContext) -> None:
    """The plan is committed to the integration branch."""


@hookspec
def plan_approved(event: PlanApproved, context: PluginContext) -> None:
    """The plan was approved (by `/approve`, or automatically): the phases start."""


@hookspec
def phase_opened(event: PhaseOpened, context: PluginContext) -> None:
    """A phase's pull request was opened with its first commit."""


@hookspec
def phase_reviewed(event: PhaseReviewed, context: PluginContext) -> None:
    """The validator (and the review checks) reviewed a phase's head."""


@hookspec
def phase_merged(event: PhaseMerged, context: PluginContext) -> None:
    """A phase's pull request was merged into the integration branch."""


@hookspec
def phase_failed(event: PhaseFailed, context: PluginContext) -> None:
    """A phase failed; `/retry phase-<k>` can take it up again."""


@hookspec
def ci_failed(event: CIFailed, context: PluginContext) -> None:
    """CI failed on a phase's head (GitHub's own failures, re-run once, excepted)."""


@hookspec
def budget_paused(event: BudgetPaused, context: PluginContext) -> None:
    """The project paused or stopped at its budget or a cap."""


@hookspec
def project_done(event: ProjectDone, context: PluginContext) -> None:
    """Every phase is merged or skipped, and the final pull request is open."""


@hookspec
def project_failed(event: ProjectFailed, context: PluginContext) -> None:
    """A planning or integration step failed; `/retry` can take it up again."""


@hookspec
def project_aborted(event: ProjectAborted, context: PluginContext) -> None:
    """Someone aborted the project with `/abort` (or from the dashboard)."""


@hookspec
def review_check(check: ReviewCheck, context: PluginContext) -> Iterable[Finding] | None:
    """Findings on a phase's files; an error-level one fails the phase's review."""


@hookspec
def project_templates() -> Iterable[ProjectTemplate] | None:
    """Project templates to offer beside `web_app`, `api_service` and `data_pipeline`."""
