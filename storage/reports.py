"""Read models for the dashboard, the REST API and the CLI: what the workers wrote, shaped for
people to read. Nothing here writes; the caller owns the session (a plain `sessions()` is
enough) and passes the visibility filter.

Visibility: `repo_ids` is the set of GitHub repository ids the reader may see (the access
layer works it out from GitHub); `None` means no filter (operators and the CLI); an empty
collection sees nothing.

Money is integer nano-dollars (`storage.money`); format it with `storage.money.format_usd`,
which shows cents (and never rounds a nonzero crumb to $0.00). Times are aware UTC datetimes.

The functions, one import point (`from storage import reports`):

- `project_page(session, *, repo_ids, repository, status, page, per_page) -> ProjectPage`:
  the projects list, one page of it, and the total count (here);
- `project_detail(session, project_id, *, repo_ids=None) -> ProjectDetail | None`: phases,
  dependency graph, plan, phase docs, audit rows and jobs (here);
- `find_project_ref(session, ref) -> int | None`: the project `12` or `owner/repo#7` (here);
- `cost_breakdown(session, project_id) -> CostBreakdown | None`: spend against budget, by agent
  (role and model) and by phase (`storage.analytics`);
- `usage_over_time(session, project_id, *, bucket=None) -> UsageSeries`: tokens, model calls
  and cache hits per time bucket (`storage.analytics`);
- `daily_spend(session, *, repo_ids, days, now=None) -> DailySpend`: spend per UTC day by
  repository, model and role (`storage.analytics`);
- `cache_stats(session, *, repo_ids, project_id=None) -> CacheStats`: hit rate and savings
  by stage (`storage.cache_report`);
- `recommendations(session, *, repo_ids) -> list[Recommendation]`: computed from the ledger
  and the cache, each with the figures it came from (`storage.advice`).
"""

from storage.advice import Recommendation, recommendations
from storage.analytics import (
    CostBreakdown,
    DailySpend,
    DaySpend,
    PhaseCost,
    RoleCost,
    UsageBucket,
    UsageSeries,
    cost_breakdown,
    daily_spend,
    usage_over_time,
)
from storage.cache_report import CacheStats, StageStats, cache_stats
from storage.listing import (
    MAX_PER_PAGE,
    ProjectPage,
    ProjectRow,
    find_project_ref,
    parse_project_ref,
    project_page,
)
from storage.project_view import (
    AuditRow,
    Dependency,
    JobRow,
    PhaseRow,
    ProjectDetail,
    project_detail,
)

__all__ = [
    "MAX_PER_PAGE",
    "AuditRow",
    "CacheStats",
    "CostBreakdown",
    "DailySpend",
    "DaySpend",
    "Dependency",
    "JobRow",
    "PhaseCost",
    "PhaseRow",
    "ProjectDetail",
    "ProjectPage",
    "ProjectRow",
    "Recommendation",
    "RoleCost",
    "StageStats",
    "UsageBucket",
    "UsageSeries",
    "cache_stats",
    "cost_breakdown",
    "daily_spend",
    "find_project_ref",
    "parse_project_ref",
    "project_detail",
    "project_page",
    "recommendations",
    "usage_over_time",
]
