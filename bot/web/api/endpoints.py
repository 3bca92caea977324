"""Every endpoint of /api/v1, in one table (routing and the OpenAPI document read it)."""

from __future__ import annotations

from bot.web.api import insights, projects
from bot.web.api.routing import Endpoint

ENDPOINTS: list[Endpoint] = [*projects.ENDPOINTS, *insights.ENDPOINTS]
