"""The commands anyone may run, which change nothing: `/status`, `/plan` and `/cost`."""

from __future__ import annotations

from agents.inputs import Plan
from agents.schemas import MicroPhase
from bot.commands.base import Answer, Context
from bot.commands.parse import Command
from bot.status import markdown as md
from bot.status.comment import render_project_status
from bot.status.options import with_options
from bot.status.view import plan_url
from storage.costs import CostReport, RolePhaseCost, cost_by_role_and_phase, cost_report
from storage.money import format_usd

PLAN_NOT_READY = "@{user} the plan is not ready yet: the agents are still planning."
PLAN_HEADING = "#### The plan"
PLAN_FILE = "📄 The plan file: {link}"
COST_HEADING = "#### Cost by agent and phase"
COST_COLUMNS = (
    "| agent | phase | model calls | cache hits | tokens in | provider-cached | tokens out "
    "| cost |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
)
COST_TOTAL = (
    "**Total:** {spent}{budget} · {calls} model calls · {input:,} tokens in · {output:,} out"
)
COST_CACHE = (
    "**Response cache:** {hits} requests answered from the cache, saving {saved}. "
    "**Provider prompt cache:** {cached:,} input tokens read from it, saving {provider_saved}."
)
NO_SPEND = "No model call has been made for this project yet."
PHASE_LIMIT = 60  # phases listed in `/plan` (the plan file has them all)


async def status(ctx: Context, command: Command) -> Answer:
    """The status comment's text, as it is now, and the file each option came from."""
    text = await render_project_status(ctx.deps, ctx.project)
    return Answer(with_options(text, ctx.project.options), note="answered with the current status")


def _phase_lines(phase: MicroPhase) -> list[str]:
    needs = [str(number) for number in phase.dependencies]
    after = f" (after {', '.join(needs)})" if needs else ""
    name, description = md.inline(phase.name, 200), md.inline(phase.description, 500)
    lines = [f"{phase.id}. **{name}**{after}: {description}"]
    return lines + [f"   - {md.inline(c, 300)}" for c in phase.acceptance_criteria]


def plan_text(plan: Plan, link: str | None) -> str:
    lines = [PLAN_HEADING, ""]
    if link is not None and md.safe_url(link):
        lines += [PLAN_FILE.format(link=md.link("plan.yaml", link)), ""]
    lines += [md.inline(plan.architecture.system_overview, 2000), ""]
    stack = [
        f"{md.inline(item.area, 80)}: {md.inline(item.choice, 200)}"
        for item in plan.architecture.technology_stack
    ]
    if stack:
        lines += ["**Technology:** " + " · ".join(stack), ""]
    lines += ["**Phases**", ""]
    for phase in plan.phases[:PHASE_LIMIT]:
        lines += _phase_lines(phase)
    if len(plan.phases) > PHASE_LIMIT:
        lines.append(f"…and {len(plan.phases) - PHASE_LIMIT} more phases: see the plan file.")
    return "\n".join(lines)


async def plan(ctx: Context, command: Command) -> Answer:
    project = ctx.project
    if not project.plan:
        return Answer(PLAN_NOT_READY.format(user=ctx.login))
    link = plan_url(project, ctx.deps.settings.github_web_url)
    return Answer(plan_text(ctx.flow.plan(), link), note="answered with the plan")


def _cost_row(row: RolePhaseCost) -> str:
    phase = "plan" if row.phase is None else str(row.phase)
    cells = [
        row.role,
        phase,
        str(row.calls),
        str(row.cache_hits),
        f"{row.input_tokens:,}",
        f"{row.cached_input_tokens:,}",
        f"{row.output_tokens:,}",
        format_usd(row.nanousd),
    ]
    return "| " + " | ".join(cells) + " |"


def cost_text(rows: list[RolePhaseCost], report: CostReport, budget_nanousd: int) -> str:
    if not rows:
        return NO_SPEND
    budget = f" of the {format_usd(budget_nanousd)} budget" if budget_nanousd else ""
    total = COST_TOTAL.format(
        spent=format_usd(report.total_nanousd),
        budget=budget,
        calls=sum(row.calls for row in rows),
        input=report.total_input_tokens,
        output=report.total_output_tokens,
    )
    cache = COST_CACHE.format(
        hits=report.cache_hits,
        saved=format_usd(report.response_cache_saved_nanousd),
        cached=report.provider_cached_tokens,
        provider_saved=format_usd(report.provider_cache_saved_nanousd),
    )
    table = "\n".join([COST_COLUMNS, *(_cost_row(row) for row in rows)])
    return "\n\n".join([COST_HEADING, table, total, cache])


async def cost(ctx: Context, command: Command) -> Answer:
    """Tokens and dollars by agent and phase, the caches' hits and savings."""
    async with ctx.deps.sessions() as session:
        rows = await cost_by_role_and_phase(session, project_id=ctx.flow.id)
        report = await cost_report(session, project_id=ctx.flow.id)
    text = cost_text(rows, report, ctx.project.budget_nanousd)
    return Answer(text, note=f"answered: {format_usd(report.total_nanousd)} spent")
