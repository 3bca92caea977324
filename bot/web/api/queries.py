"""The query strings the API takes, as pydantic models (validated, and described in the
OpenAPI document from the same models)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.web.api.models import MAX_ID
from storage.projects import ProjectStatus
from storage.reports import MAX_PER_PAGE


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Pages(Query):
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=30, ge=1, le=MAX_PER_PAGE)


class ProjectFilter(Pages):
    repository: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{1,100}(/[A-Za-z0-9_.-]{1,100})?$",
        description="owner/name, or owner for all its repositories",
    )
    status: ProjectStatus | None = None


class OneProject(Query):
    project_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class Trend(Query):
    days: int = Field(default=30, ge=1, le=366)
