"""Imports every table module so that SQLModel.metadata holds the whole schema.

Alembic's env.py and the tests import this; add a line here for each new table module.
"""

from __future__ import annotations
from storage import deliveries, installations, projects  # noqa: F401, E402
from storage import cache, ledger, phase_docs  # noqa: F401, E402
from storage import heartbeats, jobs  # noqa: F401, E402
