"""`ai-orchestrator plugins`: the plugins installed here and those PLUGINS enables, with the
hooks each loaded one implements (`doctor` checks that the enabled ones load).

Only enabled plugins are imported: listing one that is merely installed runs none of its code.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from bot.deps import build_plugins
from bot.plugins.host import GROUP, NOT_INSTALLED, Installed, Plugins, installed
from bot.settings import load_settings

HEADER = ("plugin", "enabled", "package", "hooks")
NOT_ENABLED = "(not loaded: not in PLUGINS)"
NONE_INSTALLED = f"no plugins installed (entry-point group {GROUP})"


def rows(
    found: Sequence[Installed], plugins: Plugins, enabled: Sequence[str]
) -> list[tuple[str, ...]]:
    """One row per installed plugin, then one per enabled name that is not installed."""
    failed = {failure.name: failure.error for failure in plugins.failures}
    table = [_row(plugin, plugins, enabled, failed) for plugin in found]
    known = {plugin.name for plugin in found}
    missing = [name for name in enabled if name not in known]
    table += [(name, "yes", "-", f"FAILED: {failed.get(name, NOT_INSTALLED)}") for name in missing]
    return table


def _row(
    plugin: Installed, plugins: Plugins, enabled: Sequence[str], failed: dict[str, str]
) -> tuple[str, ...]:
    package = f"{plugin.distribution} {plugin.version}"
    if plugin.name not in enabled:
        return (plugin.name, "no", package, NOT_ENABLED)
    if plugin.name in failed:
        return (plugin.name, "yes", package, f"FAILED: {failed[plugin.name]}")
    return (plugin.name, "yes", package, ", ".join(plugins.hooks_of(plugin.name)) or "(none)")


def render(table: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in [HEADER, *table]) for i in range(len(HEADER) - 1)]
    return [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in [HEADER, *table]
    ]


def _cmd_plugins(args: argparse.Namespace) -> int:
    settings = load_settings()
    plugins = build_plugins(settings)
    table = rows(installed(), plugins, settings.enabled_plugins)
    for line in render(table) if table else [NONE_INSTALLED]:
        print(line.rstrip())
    return 1 if plugins.failures else 0


def register(commands: Any) -> None:
    commands.add_parser(
        "plugins", help="installed and enabled plugins, with their hooks"
    ).set_defaults(func=_cmd_plugins)
