"""All webhook routers, joined in one place (as bedevere does)."""

from __future__ import annotations

from gidgethub.routing import Router

from handlers import checks, comments, installations, issues, pulls, reviews

router = Router(
    installations.router,
    issues.router,
    pulls.router,
    reviews.router,
    checks.router,
    comments.router,
)
