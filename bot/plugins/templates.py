"""Project templates that plugins add beside the built-in ones.

A template's name is what a `template:<name>` label picks, so it must read as one (lower case,
digits and underscores, as `template_from_label` normalises a label). A built-in name cannot be
taken over, and of two plugins offering one name the first in PLUGINS wins.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from types import MappingProxyType

from pluggy import HookImpl

from bot.files.project_templates import TEMPLATES, ProjectTemplate, SkeletonPhase
from bot.plugins.calls import described

log = logging.getLogger(__name__)

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def plugin_templates(impls: Sequence[HookImpl], *, timeout: float) -> dict[str, ProjectTemplate]:
    """The templates the plugins' `project_templates` hooks offer, checked, by name."""
    found: dict[str, ProjectTemplate] = {}
    for impl in impls:
        for offered in _offered(impl, timeout):
            problem = _problem(offered, found)
            if problem is not None:
                log.warning("plugin %s: template left out: %s", impl.plugin_name, problem)
            elif isinstance(offered, ProjectTemplate):
                found[offered.name] = _frozen(offered)
    return found


def _offered(impl: HookImpl, timeout: float) -> list[object]:
    """What the hook answered (at start-up, so a thread and a join bound it, not a loop)."""
    answer: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            answer.extend(_items(impl.function()))
        except Exception as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"plugin-{impl.plugin_name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive() or errors:
        why = described(errors[0] if errors else TimeoutError())
        log.error("plugin %s: project_templates failed: %s", impl.plugin_name, why)
        return []
    return answer


def _items(answer: object) -> list[object]:
    if answer is None:
        return []
    if not isinstance(answer, Iterable) or isinstance(answer, str | bytes):
        raise TypeError(f"the hook answered a {type(answer).__name__}, not a list of templates")
    return list(answer)


def _problem(template: object, found: dict[str, ProjectTemplate]) -> str | None:
    if not isinstance(template, ProjectTemplate):
        return f"{type(template).__name__} is not a ProjectTemplate"
    if not NAME.match(template.name):
        return f"{template.name!r} is not a template name (a-z, 0-9 and _)"
    if template.name in TEMPLATES or template.name in found:
        return f"{template.name!r} is taken"
    return None


def _frozen(template: ProjectTemplate) -> ProjectTemplate:
    """The template with its stack and phases made read-only, as the built-in ones are."""
    phases = tuple(SkeletonPhase(phase.name, phase.purpose) for phase in template.phases)
    stack = MappingProxyType(dict(template.stack))
    return ProjectTemplate(template.name, template.title, template.description, stack, phases)
