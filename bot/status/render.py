"""The project's status comment as Markdown, from a plain snapshot of the project.

Pure: the workflow builds a `StatusView` and gets the comment's text, identical for identical
views, so an unchanged project never edits its comment. Everything that came from a model or a
person (phase names, criteria, notes, notices, the step) is escaped by `bot.status.markdown`.
GitHub refuses a comment over 65,536 characters; a long project drops, in order, the criteria
details, the graph, then phases at the end of the checklist, each with a note saying so.
"""

from __future__ import annotations

from bot.status import markdown as md
from bot.status.graph import mermaid_graph
from bot.status.model import CostView, PhaseView, StatusView, Totals
from storage.money import format_usd
from storage.states import FINISHED, PhaseState

COMMENT_LIMIT = 65_536
# Room for the hidden marker the comment helper appends, and for slack.
BODY_LIMIT = COMMENT_LIMIT - 1_024

HEADING = "### 🤖 AI Orchestrator"
STEP = "{icon} **{step}**"
COST = "💰 **Cost:** {spent} of {budget} · {bar} {percent}%"
COST_NO_BUDGET = "💰 **Cost:** {spent}"
ESTIMATE = " · ≈ {amount} more estimated"
TOKENS = "🔢 **Tokens:** {input:,} in ({cached:,} cached) · {output:,} out"
CACHE_SAVED = " · 💾 the cache saved {amount}"
PLAN = "📄 **Plan:** {link}"
PLAN_LINK_TEXT = "plan.yaml"
PHASES = "#### Phases ({done}/{total} done)"
GRAPH = "#### Dependencies"
CRITERIA = "Acceptance criteria ({count})"
REVISIONS = {1: "1 revision"}
REVISIONS_MANY = "{count} revisions"
FINAL_PR = "🎉 **Final pull request:** {link}"
FINAL_PR_LINK_TEXT = "open it"
TOTALS = (
    "**Totals:** {phases} phases ({skipped} skipped) · {prs} pull requests · "
    "{revisions} revisions · {input:,} tokens in / {output:,} out · {spent} spent · "
    "{saved} saved by the cache"
)
CRITERIA_OMITTED = (
    "Acceptance criteria are left out to fit GitHub's comment size limit; the plan file has them."
)
GRAPH_OMITTED = "The dependency graph is left out to fit GitHub's comment size limit."
PHASES_OMITTED = "…and {count} more phases, left out to fit GitHub's comment size limit."
MAX_NOTICES = 10
MORE_NOTICES = "…and {count} more notices."
BAR_CELLS = 10

STATE_ICONS = {
    "planning": "⏳",
    "awaiting_approval": "🙋",
    "running": "⚙️",
    "paused": "⏸️",
    "done": "🎉",
    "failed": "❌",
    "aborted": "🛑",
    "stopped_budget": "💸",
}
OTHER_STATE_ICON = "📌"


PHASE_ICONS = {
    PhaseState.PLANNED: "⚪",
    PhaseState.CODING: "🔨",
    PhaseState.IN_REVIEW: "🔍",
    PhaseState.REVISING: "✏️",
    PhaseState.WAITING_CI: "🧪",
    PhaseState.CI_FIXING: "🔧",
    PhaseState.WAITING_HUMAN: "🙋",
    PhaseState.MERGED: "✅",
    PhaseState.SKIPPED: "⏭️",
    PhaseState.FAILED: "❌",
}
PHASE_TEXT = {
    PhaseState.PLANNED: "planned",
    PhaseState.CODING: "coding",
    PhaseState.IN_REVIEW: "in review",
    PhaseState.REVISING: "revising",
    PhaseState.WAITING_CI: "waiting for CI",
    PhaseState.CI_FIXING: "fixing CI",
    PhaseState.WAITING_HUMAN: "waiting for a person",
    PhaseState.MERGED: "merged",
    PhaseState.SKIPPED: "skipped",
    PhaseState.FAILED: "failed",
}


def render_status(view: StatusView) -> str:
    """The comment's Markdown, at most `BODY_LIMIT` characters (counted as UTF-16 code units,
    the stricter count)."""
    text = _render(view, criteria=True, graph=True, shown=len(view.phases))
    if fits(text):
        return text
    text = _render(view, criteria=False, graph=True, shown=len(view.phases))
    if fits(text):
        return text
    shown = len(view.phases)
    text = _render(view, criteria=False, graph=False, shown=shown)
    while not fits(text) and shown > 0:
        shown = max(0, shown - max(1, shown // 8))
        text = _render(view, criteria=False, graph=False, shown=shown)
    return text if fits(text) else _cut(text)


def fits(text: str) -> bool:
    return len(text.encode("utf-16-le")) // 2 <= BODY_LIMIT


def _cut(text: str) -> str:
    # Unreachable with the caps on every field; a last guard so the API never refuses it.
    while not fits(text):
        text = text[: len(text) * 9 // 10]
    return text


def _render(view: StatusView, *, criteria: bool, graph: bool, shown: int) -> str:
    size_notes = []
    if view.phases and not criteria:
        size_notes.append(CRITERIA_OMITTED)
    if len(view.phases) > 1 and not graph:
        size_notes.append(GRAPH_OMITTED)
    blocks = [HEADING, _step(view), *_notices(view.notices, size_notes), *_cost(view.cost)]
    if view.plan_url is not None and md.safe_url(view.plan_url):
        blocks.append(PLAN.format(link=md.link(PLAN_LINK_TEXT, view.plan_url)))
    if view.phases:
        blocks.append(_checklist(view.phases, criteria=criteria, shown=shown))
    if graph and len(view.phases) > 1:
        blocks += [GRAPH, mermaid_graph(view.phases)]
    if view.final_pr_url is not None and md.safe_url(view.final_pr_url):
        blocks.append(FINAL_PR.format(link=md.link(FINAL_PR_LINK_TEXT, view.final_pr_url)))
    if view.totals is not None:
        blocks.append(_totals(view.totals))
    return "\n\n".join(blocks) + "\n"


def _step(view: StatusView) -> str:
    icon = STATE_ICONS.get(view.state, OTHER_STATE_ICON)
    return STEP.format(icon=icon, step=md.inline(view.step, 300))


def _notices(notices: tuple[str, ...], size_notes: list[str]) -> list[str]:
    """The workflow's notices (escaped, at most `MAX_NOTICES`), then our own size notes."""
    lines = [f"> ⚠️ {md.inline(notice, 500)}" for notice in notices[:MAX_NOTICES]]
    if len(notices) > MAX_NOTICES:
        lines.append("> " + MORE_NOTICES.format(count=len(notices) - MAX_NOTICES))
    lines += [f"> ✂️ {note}" for note in size_notes]
    return ["\n>\n".join(lines)] if lines else []


def _cost(cost: CostView) -> list[str]:
    if cost.budget_nanousd > 0:
        percent = cost.spent_nanousd * 100 // cost.budget_nanousd
        line = COST.format(
            spent=format_usd(cost.spent_nanousd),
            budget=format_usd(cost.budget_nanousd),
            bar=meter_bar(cost.spent_nanousd, cost.budget_nanousd),
            percent=percent,
        )
    else:
        line = COST_NO_BUDGET.format(spent=format_usd(cost.spent_nanousd))
    if cost.estimate_remaining_nanousd is not None:
        line += ESTIMATE.format(amount=format_usd(cost.estimate_remaining_nanousd))
    tokens = TOKENS.format(
        input=cost.input_tokens, cached=cost.cached_input_tokens, output=cost.output_tokens
    )
    if cost.cache_saved_nanousd > 0:
        tokens += CACHE_SAVED.format(amount=format_usd(cost.cache_saved_nanousd))
    return [line, tokens]


def meter_bar(spent_nanousd: int, budget_nanousd: int) -> str:
    """`▓▓▓▓░░░░░░` for 40 to 49%: cells round down, so a cell fills only when fully spent."""
    filled = min(BAR_CELLS, max(0, spent_nanousd) * BAR_CELLS // budget_nanousd)
    return "▓" * filled + "░" * (BAR_CELLS - filled)


def _checklist(phases: tuple[PhaseView, ...], *, criteria: bool, shown: int) -> str:
    done = sum(phase.state in FINISHED for phase in phases)
    lines = [PHASES.format(done=done, total=len(phases)), ""]
    for phase in phases[:shown]:
        lines.append(_phase_line(phase))
        if criteria and phase.acceptance_criteria:
            lines += _criteria(phase.acceptance_criteria)
    if shown < len(phases):
        lines.append("")
        lines.append(PHASES_OMITTED.format(count=len(phases) - shown))
    return "\n".join(lines)


def _phase_line(phase: PhaseView) -> str:
    box = "[x]" if phase.state in FINISHED else "[ ]"
    icon, name = PHASE_ICONS[phase.state], md.inline(phase.name, 120)
    parts = [f"- {box} {icon} **{phase.number}. {name}**", PHASE_TEXT[phase.state]]
    if phase.pr_number is not None:
        parts.append(md.link(f"#{phase.pr_number}", phase.pr_url))
    if phase.revisions > 0:
        parts.append(REVISIONS.get(phase.revisions, REVISIONS_MANY.format(count=phase.revisions)))
    if phase.note:
        parts.append(md.inline(phase.note, 300))
    return " · ".join(parts)


def _criteria(criteria: tuple[str, ...]) -> list[str]:
    # Indented under the list item; blank lines let GitHub read Markdown inside <details>.
    lines = [f"  <details><summary>{CRITERIA.format(count=len(criteria))}</summary>", ""]
    lines += [f"  - {md.inline(criterion, 300)}" for criterion in criteria]
    lines += ["", "  </details>", ""]
    return lines


def _totals(totals: Totals) -> str:
    return TOTALS.format(
        phases=totals.phases,
        skipped=totals.skipped,
        prs=totals.pull_requests,
        revisions=totals.revisions,
        input=totals.input_tokens,
        output=totals.output_tokens,
        spent=format_usd(totals.spent_nanousd),
        saved=format_usd(totals.cache_saved_nanousd),
    )
