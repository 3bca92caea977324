"""The web dashboard: server-rendered pages over what the workers wrote, behind GitHub
sign-in (`bot.web.access`).

`dashboard_routes()` is everything `bot.web.app` mounts; `home` is the configured app's `/`
(the projects for a signed-in viewer, a sign-in link otherwise). Templates and static files
ship inside this package (no CDN, no build step); charts are server-rendered SVG
(`charts.py` says why); the one script, `static/dashboard.js`, only swaps in the live
fragment the server rendered, so the strict CSP needs no inline script.
"""

from __future__ import annotations

from bot.web.dashboard.routes import dashboard_routes, home

__all__ = ["dashboard_routes", "home"]
