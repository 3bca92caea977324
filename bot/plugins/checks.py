"""Review checks: each enabled plugin's `review_check` hook, run on a phase's head.

What each returns becomes findings, labelled with the plugin's name. A check that raises, runs
out of time or answers something that is not findings becomes one warning-level finding that
says so: a broken check is reported in the review, it neither crashes the review nor fails
the phase (only an error-level finding from a check that ran does that).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pluggy import HookImpl
from pydantic import ValidationError

from agents.redact import scrub
from bot.plugins.calls import call, described
from bot.plugins.context import PluginContext
from bot.plugins.findings import Finding, Level, ReviewCheck
from bot.plugins.host import Plugins

log = logging.getLogger(__name__)

CHECK_FAILED = "The check could not run: {why}"
NOT_FINDINGS = "the check answered something other than a list of findings ({why})"
MAX_FINDINGS = 200  # per check: a linter gone wild fills neither the review nor the check run


async def run_checks(plugins: Plugins, check: ReviewCheck, context: PluginContext) -> list[Finding]:
    """Every enabled check's findings on the phase, in PLUGINS order."""
    findings: list[Finding] = []
    for impl in plugins.impls("review_check"):
        findings += await _one(impl, check, context)
    return findings


async def _one(impl: HookImpl, check: ReviewCheck, context: PluginContext) -> list[Finding]:
    offered = {"check": check, "context": context}
    try:
        answer = await call(impl, offered, context.settings.plugin_timeout_seconds)
        return _findings(impl.plugin_name, answer)
    except Exception as exc:  # a failing check is a finding, never a crash of the review
        why = scrub(described(exc))
        log.warning("review check %s failed: %s", impl.plugin_name, why)
        return [_failure(impl.plugin_name, why)]


def _findings(plugin: str, answer: object) -> list[Finding]:
    if answer is None:
        return []
    if not isinstance(answer, Iterable) or isinstance(answer, str | bytes | dict):
        raise TypeError(NOT_FINDINGS.format(why=type(answer).__name__))
    found = []
    for item in list(answer)[:MAX_FINDINGS]:
        try:
            finding = item if isinstance(item, Finding) else Finding.model_validate(item)
        except ValidationError as exc:
            raise TypeError(NOT_FINDINGS.format(why=f"{exc.error_count()} invalid")) from None
        found.append(finding.model_copy(update={"check": plugin}))
    return found


def _failure(plugin: str, why: str) -> Finding:
    message = CHECK_FAILED.format(why=why)[:2000]
    return Finding(message=message, level=Level.WARNING, check=plugin)
