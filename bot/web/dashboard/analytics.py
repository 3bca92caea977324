"""The costs, cache and recommendations pages, over the projects the viewer can see (the
figures are `storage.reports`'; the charts `figures.py`'s)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.web.access import Viewer, visible_repo_ids
from bot.web.dashboard.figures import cache_charts, spend_charts
from bot.web.dashboard.guard import signed_in
from bot.web.dashboard.render import page, runtime_of
from storage.reports import cache_stats, daily_spend
from storage.reports import recommendations as advice

DAY_CHOICES = (7, 30, 90)
DEFAULT_DAYS = 30


def chosen_days(request: Request) -> int:
    raw = request.query_params.get("days", "")
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) in DAY_CHOICES else DEFAULT_DAYS


@signed_in
async def costs(request: Request, viewer: Viewer) -> Response:
    repo_ids = await visible_repo_ids(request, viewer)
    days = chosen_days(request)
    async with runtime_of(request).sessions() as session:
        spend = await daily_spend(session, repo_ids=repo_ids, days=days)
    context = {
        "spend": spend,
        "charts": spend_charts(spend),
        "days": days,
        "day_choices": DAY_CHOICES,
        "data": spend.model_dump(mode="json"),
    }
    return page(request, "costs.html", context, viewer=viewer)


@signed_in
async def cache(request: Request, viewer: Viewer) -> Response:
    repo_ids = await visible_repo_ids(request, viewer)
    async with runtime_of(request).sessions() as session:
        stats = await cache_stats(session, repo_ids=repo_ids)
    context = {"stats": stats, "charts": cache_charts(stats), "data": stats.model_dump(mode="json")}
    return page(request, "cache.html", context, viewer=viewer)


@signed_in
async def recommendations(request: Request, viewer: Viewer) -> Response:
    repo_ids = await visible_repo_ids(request, viewer)
    async with runtime_of(request).sessions() as session:
        found = await advice(session, repo_ids=repo_ids)
    context = {"found": found, "data": [item.model_dump(mode="json") for item in found]}
    return page(request, "recommendations.html", context, viewer=viewer)
