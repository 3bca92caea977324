"""`ai-orchestrator docs`: a project's phases and their documentation (`list-phases`), its plan
as committed (`view-plan`), and all its phase documentation as Markdown or JSON (`export`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.cli.database import run_with_sessions
from bot.cli.lookup import ProjectNotFound, project_detail
from bot.cli.tables import format_table
from bot.files.plan_file import plan_path
from bot.files.plan_text import project_plan_text
from bot.settings import load_settings
from storage import phase_docs, reports
from storage.db import SessionMaker, transaction

T = TypeVar("T")

NO_DOCS = "ai-orchestrator: no phase documentation for project {project}"
NO_PLAN = "ai-orchestrator: project {ref} has no plan yet (it is at step {step})"


def _ref(detail: reports.ProjectDetail) -> str:
    return f"{detail.project.repository}#{detail.project.issue_number}"


def format_phases(detail: reports.ProjectDetail) -> str:
    """The plan-level documents, then every phase with its state, PR and document."""
    documented = {doc.phase: doc for doc in detail.docs if doc.phase is not None}
    body: list[list[object]] = [
        ["plan", doc.phase_name, doc.status, "-", doc.phase_type, doc.agent_used]
        for doc in detail.docs
        if doc.phase is None
    ]
    for phase in detail.phases:
        doc = documented.get(phase.number)
        pr = f"#{phase.pr_number}" if phase.pr_number else "-"
        kind, agent = (doc.phase_type, doc.agent_used) if doc else ("-", "-")
        body.append([phase.number, phase.name, phase.state.value, pr, kind, agent])
    heading = f"{_ref(detail)} (project {detail.project.id}): {len(detail.phases)} phases"
    if not body:
        return f"{heading}; no plan yet (step {detail.project.step.value})"
    table = format_table(["phase", "name", "state", "PR", "documented as", "agent"], body)
    return f"{heading}\n\n{table}"


def _lookup(ref: str) -> reports.ProjectDetail | ProjectNotFound:
    async def work(sessions: SessionMaker) -> reports.ProjectDetail | ProjectNotFound:
        async with sessions() as session:
            try:
                return await project_detail(session, ref)
            except ProjectNotFound as missing:
                return missing

    return run_with_sessions(load_settings(), work)


def _list_phases(args: argparse.Namespace) -> int:
    found = _lookup(args.project)
    if isinstance(found, ProjectNotFound):
        return found.report()
    print(format_phases(found))
    return 0


def _view_plan(args: argparse.Namespace) -> int:
    found = _lookup(args.project)
    if isinstance(found, ProjectNotFound):
        return found.report()
    text = project_plan_text(found)
    if text is None:
        print(NO_PLAN.format(ref=_ref(found), step=found.project.step.value), file=sys.stderr)
        return 1
    print(f"# {plan_path(found.project.issue_number)} in {found.project.repository}")
    sys.stdout.write(text)
    return 0


def _run(work: Callable[[SessionMaker], Awaitable[T]]) -> T:
    return run_with_sessions(load_settings(), work)


def _docs_export(args: argparse.Namespace) -> int:
    async def work(sessions: SessionMaker) -> list[phase_docs.PhaseDoc]:
        async with transaction(sessions) as session:
            return await phase_docs.project_docs(session, project_id=args.project)

    docs = _run(work)
    if not docs:
        print(NO_DOCS.format(project=args.project), file=sys.stderr)
        return 1
    if args.format == "json":
        text = phase_docs.docs_json(docs)
    else:
        text = phase_docs.render_project_markdown(docs)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(docs)} documents to {args.output}")
    return 0


def register(commands: Any) -> None:
    docs = commands.add_parser("docs", help="phase documentation and the plan")
    docs_sub = docs.add_subparsers(dest="docs_command", required=True, metavar="ACTION")
    listing = docs_sub.add_parser("list-phases", help="a project's phases and their documents")
    listing.add_argument("project", help="project id, or owner/repo#issue")
    listing.set_defaults(func=_list_phases)
    plan = docs_sub.add_parser("view-plan", help="a project's plan file, as committed")
    plan.add_argument("project", help="project id, or owner/repo#issue")
    plan.set_defaults(func=_view_plan)
    export = docs_sub.add_parser("export", help="a project's phase documentation")
    export.add_argument("project", type=int, help="project id")
    export.add_argument("--format", choices=("md", "json"), default="md")
    export.add_argument("--output", type=Path, help="write to this file instead of stdout")
    export.set_defaults(func=_docs_export)
