"""`/cache`, `/docs` and `/costs`: the read models of `storage.reports`, for what you can see."""

from __future__ import annotations

import yaml
from starlette.responses import PlainTextResponse, Response

from bot.web.access import NotFound, perform, visible_project
from bot.web.access.state import access_state
from bot.web.access.visibility import visible_repos
from bot.web.api.models import CacheAnalytics, Documentation, Export, Invalidate, Plan, Queued
from bot.web.api.queries import OneProject, Pages, Trend
from bot.web.api.routing import Call, Endpoint, answer, listing
from storage import reports
from storage.phase_docs import PhaseDocPublic, project_docs, render_project_markdown
from storage.projects import Project

MARKDOWN = "text/markdown; charset=utf-8"


async def _project(call: Call, project_id: int | None) -> Project | None:
    if project_id is None:
        return None
    return await visible_project(call.request, call.viewer, project_id)


async def get_cache_stats(call: Call) -> Response:
    query: OneProject = call.query
    project = await _project(call, query.project_id)
    ids = await visible_repos(call.request, call.viewer)
    async with access_state(call.request).sessions() as session:
        stats = await reports.cache_stats(
            session, repo_ids=ids, project_id=project.id if project else None
        )
    return answer(stats)


async def get_cache_analytics(call: Call) -> Response:
    query: OneProject = call.query
    project = await _project(call, query.project_id)
    ids = await visible_repos(call.request, call.viewer)
    async with access_state(call.request).sessions() as session:
        project_id = project.id if project else None
        stats = await reports.cache_stats(session, repo_ids=ids, project_id=project_id)
        usage = None if project_id is None else await reports.usage_over_time(session, project_id)
    return answer(CacheAnalytics(project_id=project_id, stats=stats, usage=usage))


async def invalidate_cache(call: Call) -> Response:
    body: Invalidate = call.body
    project = await visible_project(call.request, call.viewer, body.project_id)
    queued = await perform(
        call.request, call.viewer, project, "invalidate-cache", argument=body.key
    )
    model = Queued(
        job_id=queued.job_id,
        project_id=body.project_id,
        action=queued.action,
        argument=queued.argument,
    )
    return answer(model, 202)


async def _docs(call: Call, project: Project) -> list[PhaseDocPublic]:
    assert project.id is not None
    async with access_state(call.request).sessions() as session:
        docs = await project_docs(session, project_id=project.id)
    return [PhaseDocPublic.model_validate(doc) for doc in docs]


async def list_phase_docs(call: Call) -> Response:
    query: Pages = call.query
    project = await visible_project(call.request, call.viewer, call.param("project_id"))
    docs = await _docs(call, project)
    start = (query.page - 1) * query.per_page
    chunk = docs[start : start + query.per_page]
    return listing(call.request, chunk, page=query.page, per_page=query.per_page, total=len(docs))


async def get_plan(call: Call) -> Response:
    project = await visible_project(call.request, call.viewer, call.param("project_id"))
    assert project.id is not None
    approved = project.plan_approved_at is not None
    return answer(
        Plan(project_id=project.id, plan=project.plan, plan_sha=project.plan_sha, approved=approved)
    )


def _markdown(project: Project, docs: list[PhaseDocPublic]) -> str:
    title = f"# {project.full_name}#{project.issue_number}: {project.issue_title}\n"
    plan = yaml.safe_dump(project.plan, sort_keys=False, allow_unicode=True) if project.plan else ""
    plan_part = f"\n## Plan\n\n```yaml\n{plan}```\n" if plan else "\n## Plan\n\nNo plan yet.\n"
    return f"{title}{plan_part}\n{render_project_markdown(docs)}"


async def export_docs(call: Call) -> Response:
    body: Export = call.body
    project = await visible_project(call.request, call.viewer, call.param("project_id"))
    assert project.id is not None
    docs = await _docs(call, project)
    if body.format == "md":
        return PlainTextResponse(_markdown(project, docs), media_type=MARKDOWN)
    exported = Documentation(
        project_id=project.id, plan=project.plan, plan_sha=project.plan_sha, phases=docs
    )
    return answer(exported)


async def cost_analysis(call: Call) -> Response:
    project = await visible_project(call.request, call.viewer, call.param("project_id"))
    assert project.id is not None
    async with access_state(call.request).sessions() as session:
        breakdown = await reports.cost_breakdown(session, project.id)
    if breakdown is None:
        raise NotFound("no such project")
    return answer(breakdown)


async def cost_recommendations(call: Call) -> Response:
    query: Pages = call.query
    ids = await visible_repos(call.request, call.viewer)
    async with access_state(call.request).sessions() as session:
        found = await reports.recommendations(session, repo_ids=ids)
    start = (query.page - 1) * query.per_page
    chunk = found[start : start + query.per_page]
    return listing(call.request, chunk, page=query.page, per_page=query.per_page, total=len(found))


async def cost_trends(call: Call) -> Response:
    query: Trend = call.query
    ids = await visible_repos(call.request, call.viewer)
    async with access_state(call.request).sessions() as session:
        spend = await reports.daily_spend(session, repo_ids=ids, days=query.days)
    return answer(spend)


MARKDOWN_ANSWER = {"text/markdown": {"schema": {"type": "string"}}}
ENDPOINTS = [
    Endpoint(
        "GET",
        "/cache/stats",
        get_cache_stats,
        "Cache hit rate and savings by stage",
        answer=reports.CacheStats,
        query=OneProject,
        statuses=(404,),
    ),
    Endpoint(
        "GET",
        "/cache/analytics",
        get_cache_analytics,
        "Cache figures, and for one project its tokens and cache hits over time",
        answer=CacheAnalytics,
        query=OneProject,
        statuses=(404,),
    ),
    Endpoint(
        "POST",
        "/cache/invalidate",
        invalidate_cache,
        "Queue /invalidate-cache <key> for the project (and what depends on the key)",
        answer=Queued,
        status=202,
        body=Invalidate,
        writes=True,
        statuses=(404,),
    ),
    Endpoint(
        "GET",
        "/docs/{project_id}/phases",
        list_phase_docs,
        "The project's phase documentation",
        answer=PhaseDocPublic,
        query=Pages,
        listed=True,
        statuses=(404,),
    ),
    Endpoint(
        "GET",
        "/docs/{project_id}/plan",
        get_plan,
        "The project's plan",
        answer=Plan,
        statuses=(404,),
    ),
    Endpoint(
        "POST",
        "/docs/{project_id}/export",
        export_docs,
        "The plan and phase documentation as one Markdown file or one JSON document",
        answer=Documentation,
        body=Export,
        statuses=(404,),
        media=MARKDOWN_ANSWER,
    ),
    Endpoint(
        "GET",
        "/costs/{project_id}/analysis",
        cost_analysis,
        "Spend against budget, by agent and model and by phase",
        answer=reports.CostBreakdown,
        statuses=(404,),
    ),
    Endpoint(
        "GET",
        "/costs/recommendations",
        cost_recommendations,
        "Recommendations computed from the ledger and the cache",
        answer=reports.Recommendation,
        query=Pages,
        listed=True,
    ),
    Endpoint(
        "GET",
        "/costs/trends",
        cost_trends,
        "Spend per UTC day by repository, model and role",
        answer=reports.DailySpend,
        query=Trend,
    ),
]
