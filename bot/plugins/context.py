"""What a hook may use besides its payload: the app's settings and its HTTP client.

Built by the job that calls the hooks from the process's dependencies; a plugin never builds a
client of its own at import time, nor reads the environment behind the settings' back.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

from bot.settings import Settings


@dataclass(frozen=True)
class PluginContext:
    settings: Settings
    http: httpx2.AsyncClient
