"""Imports every table module so that SQLModel.metadata holds the whole schema.

Alembic's env.py and the tests import this; add a line here for each new table module.
"""

from __future__ import annotations

from storage import (  # noqa: F401
    audit,
    cache,
    ci_apps,
    deliveries,
    heartbeats,
    installations,
    jobs,
    ledger,
    phase_docs,
    plugin_deliveries,
    projects,
    web_sessions,
    workflow,
)
