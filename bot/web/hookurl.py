"""Where setup mode tells GitHub to send webhooks, and the channel it creates for a laptop.

In order: the webhook proxy's channel (WEBHOOK_PROXY_URL), else `PUBLIC_URL/webhooks`, else,
for a browser on this machine, a new smee.io channel (as Probot's setup does: saved to the env
file as WEBHOOK_PROXY_URL and read from at once), else the address the browser used, which
the page then says GitHub probably cannot reach.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum

from bot.envfile import update_env_file
from bot.settings import Settings
from bot.web.addresses import is_loopback
from bot.web.manifest import WEBHOOK_PATH
from bot.web.proxy import ChannelError, ProxyRunner

logger = logging.getLogger(__name__)


class HookSource(StrEnum):
    PROXY = "proxy"  # WEBHOOK_PROXY_URL
    CREATED = "created"  # a channel created by this setup
    PUBLIC_URL = "public_url"
    BROWSER = "browser"  # nothing better: the browser's address


@dataclass(frozen=True)
class HookURL:
    url: str
    source: HookSource
    problem: str | None = None  # why no channel was created, for the page to say


class HookURLs:
    """Decides the webhook URL for each setup page; creates at most one channel per process."""

    def __init__(self, settings: Settings, proxy: ProxyRunner | None, write_env: bool) -> None:
        self.settings = settings
        self.proxy = proxy
        self.write_env = write_env
        self.created: str | None = None
        self._creating = asyncio.Lock()  # two pages at once must not make two channels

    async def choose(self, browser: str, host: str | None) -> HookURL:
        if self.created is not None:
            return HookURL(self.created, HookSource.CREATED)
        proxied = (self.proxy.url if self.proxy else None) or self.settings.webhook_proxy_url
        if proxied:
            return HookURL(proxied, HookSource.PROXY)
        if self.settings.public_url:
            return HookURL(self.settings.public_url + WEBHOOK_PATH, HookSource.PUBLIC_URL)
        problem = None
        if self.proxy is not None and is_loopback(host):
            try:
                return HookURL(await self._create(self.proxy), HookSource.CREATED)
            except ChannelError as exc:
                logger.warning("setup: no webhook channel created: %s", exc)
                problem = str(exc)
        return HookURL(browser + WEBHOOK_PATH, HookSource.BROWSER, problem)

    async def _create(self, proxy: ProxyRunner) -> str:
        async with self._creating:
            if self.created is None:
                self.created = await proxy.create_channel()
                self._save(self.created)
                proxy.start(self.created)
        return self.created

    def _save(self, channel: str) -> None:
        """Into the env file, so that a restart keeps the channel the App was registered with."""
        if not self.write_env:
            return  # it is among the config variables shown after registration
        try:
            update_env_file(self.settings.env_file_path, {"WEBHOOK_PROXY_URL": channel})
        except (OSError, ValueError) as exc:
            logger.warning("setup: WEBHOOK_PROXY_URL not saved: %s", type(exc).__name__)
