"""All webhook routers, joined in one place (as bedevere does)."""

from __future__ import annotations

from gidgethub.routing import Router

from handlers import installations, issues

router = Router(installations.router, issues.router)
