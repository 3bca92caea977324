"""The projects list: one row per project with its spend and phase counts, filtered by
visibility, repository and status, a page at a time (`storage.reports` describes the read
models)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, case, func
from sqlalchemy import select as sa_select
from sqlalchemy.sql import Select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.ledger import LLMCall
from storage.projects import Project, ProjectStatus
from storage.query import total
from storage.states import FINISHED, ProjectStep
from storage.workflow import Phase

MAX_PER_PAGE = 100


class ProjectRow(BaseModel):
    """One line of the projects list."""

    id: int
    repository: str  # owner/repo
    repo_id: int
    installation_id: int
    issue_number: int
    issue_title: str
    status: ProjectStatus
    step: ProjectStep
    phases_done: int  # merged or skipped
    phases_total: int
    spend_nanousd: int
    budget_nanousd: int  # 0: no budget set
    created_at: datetime
    last_activity: datetime  # the latest change to the project or one of its phases


class ProjectPage(BaseModel):
    rows: list[ProjectRow]
    total: int  # projects matching the filters, over all pages
    page: int  # 1-based
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


_REF = re.compile(r"(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+)#(?P<issue>[0-9]+)")


def parse_project_ref(ref: str) -> int | tuple[str, str, int]:
    """`12` -> 12; `owner/repo#7` -> ("owner", "repo", 7); ValueError for anything else."""
    text = ref.strip()
    if text.isascii() and text.isdigit():  # not "¹", which isdigit() allows and int() refuses
        return int(text)
    match = _REF.fullmatch(text)
    if match is None:
        raise ValueError(f"not a project: {ref!r} (give its id, or owner/repo#issue)")
    return match["owner"], match["repo"], int(match["issue"])


async def find_project_ref(session: AsyncSession, ref: str) -> int | None:
    """The id of the project `ref` names (an id, or `owner/repo#issue`, the repository's name
    compared case-insensitively as GitHub does), or None. ValueError for a malformed ref."""
    parsed = parse_project_ref(ref)
    if isinstance(parsed, int):
        return parsed if await session.get(Project, parsed) is not None else None
    owner, repo, issue = parsed
    statement = select(Project.id).where(
        *_repository_is(f"{owner}/{repo}"), Project.issue_number == issue
    )
    return (await session.exec(statement)).first()


def _repository_is(repository: str) -> list[ColumnElement[bool]]:
    """`owner/repo`, or `owner` for all of an owner's repositories; case-insensitive."""
    owner, _, repo = repository.strip().partition("/")
    clauses = [func.lower(col(Project.owner)) == owner.lower()]
    if repo:
        clauses.append(func.lower(col(Project.repo)) == repo.lower())
    return clauses


def project_filters(
    repo_ids: Collection[int] | None, repository: str | None, status: ProjectStatus | None
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if repo_ids is not None:
        clauses.append(col(Project.repo_id).in_(sorted(set(repo_ids))))
    if repository:
        clauses += _repository_is(repository)
    if status is not None:
        clauses.append(col(Project.status) == status)
    return clauses


def _spend_by_project() -> Any:
    return (
        sa_select(
            col(LLMCall.project_id).label("project_id"),
            total(LLMCall.cost_nanousd).label("spend"),
        )
        .group_by(col(LLMCall.project_id))
        .subquery()
    )


def _phases_by_project() -> Any:
    done = case((col(Phase.state).in_(sorted(FINISHED)), 1), else_=0)
    return (
        sa_select(
            col(Phase.project_id).label("project_id"),
            func.count().label("phases"),
            total(done).label("done"),
            func.max(col(Phase.updated_at)).label("touched"),
        )
        .group_by(col(Phase.project_id))
        .subquery()
    )


def listing(clauses: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """Projects with their spend and phase counts, one row each, in one query."""
    spend, phases = _spend_by_project(), _phases_by_project()
    return (
        sa_select(
            Project,
            func.coalesce(spend.c.spend, 0),
            func.coalesce(phases.c.phases, 0),
            func.coalesce(phases.c.done, 0),
            phases.c.touched,
        )
        .outerjoin(spend, spend.c.project_id == col(Project.id))
        .outerjoin(phases, phases.c.project_id == col(Project.id))
        .where(*clauses)
    )


def _row(project: Project, spend: int, phases: int, done: int, touched: Any) -> ProjectRow:
    assert project.id is not None
    # A MAX over a subquery comes back as text on SQLite: its column type is lost on the way.
    last = max(project.updated_at, _as_utc(touched)) if touched is not None else project.updated_at
    return ProjectRow(
        id=project.id,
        repository=project.full_name,
        repo_id=project.repo_id,
        installation_id=project.installation_id,
        issue_number=project.issue_number,
        issue_title=project.issue_title,
        status=project.status,
        step=project.step,
        phases_done=int(done),
        phases_total=int(phases),
        spend_nanousd=int(spend),
        budget_nanousd=project.budget_nanousd,
        created_at=project.created_at,
        last_activity=last,
    )


def _as_utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def project_rows(session: AsyncSession, statement: Select[Any]) -> list[ProjectRow]:
    found = await session.exec(statement)  # type: ignore[call-overload]
    return [_row(*row) for row in found.all()]


def _status(status: ProjectStatus | str | None) -> ProjectStatus | None:
    if status is None or status == "":
        return None
    try:
        return ProjectStatus(status)
    except ValueError:
        known = ", ".join(member.value for member in ProjectStatus)
        raise ValueError(f"unknown status {status!r}; one of {known}") from None


async def project_page(
    session: AsyncSession,
    *,
    repo_ids: Collection[int] | None,
    repository: str | None = None,
    status: ProjectStatus | str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> ProjectPage:
    """A page of projects, newest first. `repository` (`owner/repo`, or `owner` for all its
    repositories; case-insensitive) and `status` filter; `per_page` is capped at
    MAX_PER_PAGE. ValueError for an unknown status or a page or per_page below 1."""
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page start at 1")
    per_page = min(per_page, MAX_PER_PAGE)
    clauses = project_filters(repo_ids, repository, _status(status))
    count = select(func.count()).select_from(Project).where(*clauses)
    found = int((await session.exec(count)).one())
    statement = (
        listing(clauses)
        .order_by(col(Project.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    listed = await project_rows(session, statement)
    return ProjectPage(rows=listed, total=found, page=page, per_page=per_page)
