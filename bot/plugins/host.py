"""The plugins of this process: installed packages found through the `ai_orchestrator.plugins`
entry-point group, of which only those PLUGINS names are loaded and registered with pluggy.

The app never imports a plugin by name, its own `notify` included: every plugin comes through
its entry point. A plugin that is not installed, fails to import, or implements a hook the specs
lack is not registered; the failure is kept for `doctor` and `plugins` and logged, and the app
runs without it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType

import pluggy
from pluggy import HookImpl

from bot.files.project_templates import TEMPLATES, ProjectTemplate
from bot.plugins import hookspecs
from bot.plugins.templates import plugin_templates

log = logging.getLogger(__name__)

GROUP = "ai_orchestrator.plugins"
NOT_INSTALLED = f"not installed: no {GROUP!r} entry point of that name"
WRAPPERS = "hook wrappers are not supported: implement the hooks themselves"


@dataclass(frozen=True)
class Installed:
    name: str  # what PLUGINS names it by
    value: str  # `module` or `module:object`
    distribution: str
    version: str


@dataclass(frozen=True)
class Failure:
    name: str
    error: str


def installed() -> list[Installed]:
    """Every plugin installed in this environment, by name (of two with one name, the first
    on the path), sorted."""
    return sorted((_installed(point) for point in _points().values()), key=lambda p: p.name)


def _points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=GROUP):
        found.setdefault(point.name, point)
    return found


def _installed(point: EntryPoint) -> Installed:
    dist = point.dist
    name, version = (dist.name, dist.version) if dist is not None else ("?", "?")
    return Installed(point.name, point.value, name, version)


def new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


@dataclass(frozen=True)
class Plugins:
    """The enabled plugins that loaded (in PLUGINS order), what failed, and the project
    templates: the built-in ones, then those the plugins add."""

    manager: pluggy.PluginManager = field(default_factory=new_manager)
    names: tuple[str, ...] = ()
    failures: tuple[Failure, ...] = ()
    templates: Mapping[str, ProjectTemplate] = field(default_factory=lambda: TEMPLATES)

    def hooks_of(self, name: str) -> tuple[str, ...]:
        """The hooks the loaded plugin `name` implements, sorted."""
        plugin = self.manager.get_plugin(name)
        callers = self.manager.get_hookcallers(plugin) if plugin is not None else None
        return tuple(sorted(caller.name for caller in callers or []))

    def impls(self, hook: str) -> list[HookImpl]:
        """The implementations of `hook`, in PLUGINS order."""
        found = getattr(self.manager.hook, hook).get_hookimpls()
        return sorted(found, key=lambda impl: self.names.index(impl.plugin_name))

    def takes(self, hook: str) -> bool:
        return bool(self.names) and bool(self.impls(hook))


def load_plugins(names: Sequence[str], *, timeout: float) -> Plugins:
    """Loads and registers the plugins `names` enables; `timeout` bounds each template hook."""
    manager, points = new_manager(), _points()
    loaded: list[str] = []
    failures: list[Failure] = []
    for name in names:
        error = _register(manager, name, points.get(name))
        if error is None:
            loaded.append(name)
            log.info("plugin %s loaded", name, extra={"plugin": name})
        else:
            failures.append(Failure(name, error))
            log.error("plugin %s not loaded: %s", name, error, extra={"plugin": name})
    plugins = Plugins(manager, tuple(loaded), tuple(failures))
    added = plugin_templates(plugins.impls("project_templates"), timeout=timeout)
    templates = MappingProxyType({**TEMPLATES, **added})
    return Plugins(manager, plugins.names, plugins.failures, templates)


def _register(manager: pluggy.PluginManager, name: str, point: EntryPoint | None) -> str | None:
    """Registers the plugin; what went wrong, or None."""
    if point is None:
        return NOT_INSTALLED
    try:
        manager.register(point.load(), name=name)
        manager.check_pending()  # a hook the specs lack (a typo) is refused here
    except Exception as exc:  # any import or registration error leaves the plugin out
        _unregister(manager, name)
        return f"{type(exc).__name__}: {exc}"
    plugin = manager.get_plugin(name)
    if any(impl.hookwrapper or impl.wrapper for impl in _impls_of(manager, plugin)):
        _unregister(manager, name)
        return WRAPPERS
    return None


def _impls_of(manager: pluggy.PluginManager, plugin: object) -> list[HookImpl]:
    callers = manager.get_hookcallers(plugin) or []
    return [impl for caller in callers for impl in caller.get_hookimpls() if impl.plugin is plugin]


def _unregister(manager: pluggy.PluginManager, name: str) -> None:
    if manager.get_plugin(name) is not None:
        manager.unregister(name=name)
