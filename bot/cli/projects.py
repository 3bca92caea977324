"""`ai-orchestrator projects` (the list, newest first, filtered and paged) and `ai-orchestrator
status PROJECT [--include-cache]` (one project: its phases, spend, jobs and cache)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.cli.database import run_with_sessions
from bot.cli.lookup import ProjectNotFound, project_detail
from bot.cli.tables import format_table
from bot.settings import load_settings
from storage import reports
from storage.db import SessionMaker
from storage.job_table import JobStatus
from storage.money import format_usd
from storage.projects import ProjectStatus

NO_PROJECTS = "no projects yet: label an issue with the trigger label to start one"
NO_MATCH = "no projects match"
ERROR_CHARS = 200  # of a dead job's error, on its one line


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _spend(row: reports.ProjectRow) -> str:
    spent = format_usd(row.spend_nanousd)
    return f"{spent} of {format_usd(row.budget_nanousd)}" if row.budget_nanousd else spent


def format_projects(page: reports.ProjectPage, *, filtered: bool) -> str:
    if not page.rows:
        return NO_MATCH if filtered or page.total else NO_PROJECTS
    headers = ["id", "repository", "issue", "status", "step", "phases", "spend", "last activity"]
    body = [
        [
            row.id,
            row.repository,
            f"#{row.issue_number}",
            row.status.value,
            row.step.value,
            f"{row.phases_done}/{row.phases_total}",
            _spend(row),
            _when(row.last_activity),
        ]
        for row in page.rows
    ]
    plural = "project" if page.total == 1 else "projects"
    footer = f"page {page.page} of {page.pages}, {page.total} {plural}"
    return f"{format_table(headers, body)}\n\n{footer}"


def _number(pr: int | None) -> str | None:
    return None if pr is None else f"#{pr}"


def _facts(detail: reports.ProjectDetail) -> list[str]:
    row = detail.project
    workflow = f" ({detail.workflow} workflow)" if detail.workflow else ""
    lines = [
        f"Project {row.id}: {row.repository}#{row.issue_number} ({row.issue_title})",
        f"Status: {row.status.value}, at step {row.step.value}{workflow}",
        f"Progress: {row.phases_done}/{row.phases_total} micro-phases done",
        f"Spend: {format_usd(row.spend_nanousd)}"
        + (f" of a {format_usd(row.budget_nanousd)} budget" if row.budget_nanousd else ""),
        f"Last activity: {_when(row.last_activity)}",
    ]
    optional = [
        ("Integration branch", detail.integration_branch),
        (
            "Final PR",
            detail.final_pr_url or (detail.final_pr_number and f"#{detail.final_pr_number}"),
        ),
        ("Paused", detail.pause_reason if detail.paused else None),
        ("Notice", detail.notice),
        ("Error", detail.error),
    ]
    return lines + [f"{label}: {value}" for label, value in optional if value]


def _phase_table(phases: Sequence[reports.PhaseRow]) -> str:
    headers = ["phase", "name", "state", "PR", "revisions", "CI rounds", "dollars"]
    body = [
        [
            phase.number,
            phase.name,
            phase.state.value,
            f"#{phase.pr_number}" if phase.pr_number else "-",
            phase.revisions + phase.people_revisions,
            phase.ci_rounds,
            format_usd(phase.spend_nanousd),
        ]
        for phase in phases
    ]
    return format_table(headers, body)


def _jobs(jobs: Sequence[reports.JobRow]) -> list[str]:
    count = {status: sum(job.status is status for job in jobs) for status in JobStatus}
    lines = [
        f"Jobs: {count[JobStatus.QUEUED]} queued, {count[JobStatus.RUNNING]} running, "
        f"{count[JobStatus.DEAD]} dead"
    ]
    for job in jobs:
        if job.status is JobStatus.DEAD:
            error = " ".join((job.last_error or "no error recorded").split())[:ERROR_CHARS]
            lines.append(f"  dead job {job.id} ({job.kind}): {error}")
    return lines


def _cache(stats: reports.CacheStats) -> list[str]:
    overall = stats.overall
    return [
        "Cache performance:",
        f"   Hit rate: {overall.hit_rate:.1%} ({overall.hits} of {overall.requests} requests)",
        f"   Cost savings: {format_usd(overall.nanousd_saved)}",
        f"   API calls saved: {overall.hits}",
    ]


def format_status(detail: reports.ProjectDetail, cache: reports.CacheStats | None) -> str:
    blocks = ["\n".join(_facts(detail))]
    if detail.phases:
        blocks.append(_phase_table(detail.phases))
    blocks.append("\n".join(_jobs(detail.jobs)))
    if cache is not None:
        blocks.append("\n".join(_cache(cache)))
    return "\n\n".join(blocks)


def _projects(args: argparse.Namespace) -> int:
    async def work(sessions: SessionMaker) -> reports.ProjectPage:
        async with sessions() as session:
            return await reports.project_page(
                session,
                repo_ids=None,
                repository=args.repository,
                status=args.status,
                page=args.page,
                per_page=args.per_page,
            )

    page = run_with_sessions(load_settings(), work)
    print(format_projects(page, filtered=bool(args.repository or args.status)))
    return 0


def _status(args: argparse.Namespace) -> int:
    async def work(sessions: SessionMaker) -> str | ProjectNotFound:
        async with sessions() as session:
            try:
                detail = await project_detail(session, args.project)
            except ProjectNotFound as missing:
                return missing
            cache = None
            if args.include_cache:
                cache = await reports.cache_stats(
                    session, repo_ids=None, project_id=detail.project.id
                )
            return format_status(detail, cache)

    found = run_with_sessions(load_settings(), work)
    if isinstance(found, ProjectNotFound):
        return found.report()
    print(found)
    return 0


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def register(commands: Any) -> None:
    listing = commands.add_parser("projects", help="projects, newest first")
    listing.add_argument("--repository", help="owner/repo, or owner for all its repositories")
    listing.add_argument("--status", choices=[status.value for status in ProjectStatus])
    listing.add_argument("--page", type=_positive, default=1)
    listing.add_argument(
        "--per-page", type=_positive, default=50, help=f"at most {reports.MAX_PER_PAGE}"
    )
    listing.set_defaults(func=_projects)
    status = commands.add_parser("status", help="one project: phases, spend, jobs")
    status.add_argument("project", help="project id, or owner/repo#issue")
    status.add_argument("--include-cache", action="store_true", help="its cache hit rate too")
    status.set_defaults(func=_status)
