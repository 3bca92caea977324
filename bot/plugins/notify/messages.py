"""What `notify` says: one line of Slack mrkdwn per event, and the JSON an HTTPS endpoint gets.

Names and titles come from people (an issue's title) and the app's own reasons; they are escaped
as Slack asks (`&`, `<`, `>`), so none can turn into a link or an `@channel` mention.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.plugins.events import (
    BudgetPaused,
    CIFailed,
    Event,
    PhaseEvent,
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


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, text: str) -> str:
    return f"<{url}|{escape(text)}>" if url else escape(text)


def _project(event: Event) -> str:
    project = event.project
    name = f"{project.repository}#{project.issue_number}"
    return f"{link(project.issue_url, name)} {escape(project.issue_title)}"


def _phase(event: PhaseEvent) -> str:
    phase = event.phase
    pull = f" ({link(phase.pr_url, f'#{phase.pr_number}')})" if phase.pr_number else ""
    return f"phase {phase.number}, {escape(phase.name)}{pull}"


def _money(event: Event) -> str:
    return f"${event.project.spent_usd:,.2f} of ${event.project.budget_usd:,.2f}"


def _started(e: ProjectStarted) -> str:
    return f":rocket: Project started by {escape(e.started_by)}"


def _plan_ready(e: PlanReady) -> str:
    then = "waiting for /approve" if e.approval_required else "the phases start"
    return f":page_facing_up: {link(e.plan_url, 'Plan')} ready: {e.phases} phases, {then}"


def _approved(e: PlanApproved) -> str:
    who = "automatically" if e.approved_by == "auto" else f"by {escape(e.approved_by)}"
    return f":white_check_mark: Plan approved {who}"


def _opened(e: PhaseOpened) -> str:
    return f":arrow_up: Opened {_phase(e)}"


def _reviewed(e: PhaseReviewed) -> str:
    mark = ":heavy_check_mark:" if e.passed else ":warning:"
    found = f", {e.findings} findings ({e.errors} errors)" if e.findings else ""
    return f"{mark} Reviewed {_phase(e)}: {e.verdict}, {e.compliance_score:g}%{found}"


def _merged(e: PhaseMerged) -> str:
    who = f" by {escape(e.merged_by)}" if e.merged_by else ""
    return f":twisted_rightwards_arrows: Merged {_phase(e)}{who}"


def _phase_failed(e: PhaseFailed) -> str:
    return f":x: Failed {_phase(e)}: {escape(e.error)}"


def _ci_failed(e: CIFailed) -> str:
    then = "fixing" if e.fixing else "no fix left, the manager decides"
    return f":red_circle: CI failed on {_phase(e)}: {escape(', '.join(e.checks))}; {then}"


def _paused(e: BudgetPaused) -> str:
    return f":double_vertical_bar: {escape(e.reason)} ({_money(e)})"


def _done(e: ProjectDone) -> str:
    pull = link(e.final_pr_url, f"#{e.final_pr_number}") if e.final_pr_number else "none"
    phases = f"{e.phases_merged} phases merged, {e.phases_skipped} skipped"
    return f":tada: Done: final pull request {pull}; {phases}; {_money(e)}"


def _project_failed(e: ProjectFailed) -> str:
    return f":x: Project failed: {escape(e.error)}"


def _aborted(e: ProjectAborted) -> str:
    return f":octagonal_sign: Aborted by {escape(e.aborted_by)}"


LINES: dict[type[Event], Callable[[Any], str]] = {
    ProjectStarted: _started,
    PlanReady: _plan_ready,
    PlanApproved: _approved,
    PhaseOpened: _opened,
    PhaseReviewed: _reviewed,
    PhaseMerged: _merged,
    PhaseFailed: _phase_failed,
    CIFailed: _ci_failed,
    BudgetPaused: _paused,
    ProjectDone: _done,
    ProjectFailed: _project_failed,
    ProjectAborted: _aborted,
}


def slack_text(event: Event) -> str:
    return f"{_project(event)}: {LINES[type(event)](event)}"


def slack_body(event: Event) -> bytes:
    return json.dumps({"text": slack_text(event)}).encode()


def webhook_body(event: Event) -> bytes:
    """The signed endpoints' JSON: the hook's name and its payload, exactly as plugins get it."""
    document = {"hook": event.hook, "event": event.model_dump(mode="json")}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
