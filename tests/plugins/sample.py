"""Plugins the tests install through real entry points (`tests/plugins/conftest.py` writes the
distribution's metadata): each an object whose methods carry `@hookimpl`.

- `RECORDER` notes every event it is given, in order (plain functions, run in threads);
- `ASYNC_RECORDER` the same, with `async def` hooks;
- `RAISER` raises on every event; `ASLEEP` (async) and `STUCK` (a thread) never answer;
- `CRASHER` kills the worker (a BaseException, as `kill -9`) the first time a phase merges;
- `LINTER` is a review check: an error until the service says its results are sorted;
- `BROKEN_CHECK` raises, `SLOW_CHECK` never answers, `BAD_CHECK` answers nonsense;
- `TEMPLATER` adds a project template (and offers two it may not).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from bot.files.project_templates import WEB_APP, ProjectTemplate, SkeletonPhase
from bot.plugins import hookimpl
from bot.plugins.events import EVENTS, Event
from bot.plugins.findings import Finding, Level, ReviewCheck
from tests.fakegithub import Killed

SERVICE = "app/feature1/service.py"
SORTED = "# Results sorted by id."
RELEASE = threading.Event()  # set at the end of each test: a stuck thread then ends


class Recording:
    """What a sample plugin was given, and how often it was called."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.calls = 0

    def hooks(self) -> list[str]:
        return [event.hook for event in self.events]


def _every_hook(name: str, make: Callable[[str], Callable[..., Any]]) -> type[Recording]:
    """A class with one `@hookimpl` method per event hook, each made by `make(hook)`."""
    return type(name, (Recording,), {hook: hookimpl(make(hook)) for hook in EVENTS})


def _recording(hook: str) -> Callable[..., None]:
    def record(self: Any, event: Event) -> None:
        self.events.append(event)

    return record


def _recording_async(hook: str) -> Callable[..., Any]:
    async def record(self: Any, event: Event) -> None:
        self.events.append(event)

    return record


def _raising(hook: str) -> Callable[..., None]:
    def fail(self: Any, event: Event) -> None:
        raise RuntimeError(f"{hook} is broken here")

    return fail


def _asleep(hook: str) -> Callable[..., Any]:
    async def wait(self: Any, event: Event) -> None:
        self.calls += 1
        await asyncio.sleep(3600)

    return wait


def _stuck(hook: str) -> Callable[..., None]:
    def wait(self: Any, event: Event) -> None:
        self.calls += 1
        RELEASE.wait(60)

    return wait


RECORDER = _every_hook("Recorder", _recording)()
ASYNC_RECORDER = _every_hook("AsyncRecorder", _recording_async)()
RAISER = _every_hook("Raiser", _raising)()
ASLEEP = _every_hook("Asleep", _asleep)()
STUCK = _every_hook("Stuck", _stuck)()


class Crasher:
    """Kills the worker in its first `phase_merged` call, then delivers like any plugin."""

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    async def phase_merged(self, event: Event) -> None:
        self.calls += 1
        if self.calls == 1:
            raise Killed


CRASHER = Crasher()


class Linter:
    """An error on the service's first line until it says its results are sorted; then a
    notice. Records what it was given."""

    def __init__(self) -> None:
        self.checks: list[ReviewCheck] = []

    @hookimpl
    def review_check(self, check: ReviewCheck) -> list[Finding]:
        self.checks.append(check)
        content = check.files.get(SERVICE)
        if content is None:
            return []
        if SORTED in content:
            return [Finding(message="sorted, as documented", level=Level.NOTICE, path=SERVICE)]
        return [
            Finding(
                message="results must say they are sorted",
                level=Level.ERROR,
                path=SERVICE,
                line=1,
                title="R1",
            )
        ]


LINTER = Linter()


class BrokenCheck:
    @hookimpl
    def review_check(self, check: ReviewCheck) -> list[Finding]:
        raise RuntimeError("the linter is not installed")


class SlowCheck:
    @hookimpl
    async def review_check(self, check: ReviewCheck) -> list[Finding]:
        await asyncio.sleep(3600)
        return []


class BadCheck:
    @hookimpl
    def review_check(self, check: ReviewCheck) -> object:
        return [{"level": "catastrophic"}]


BROKEN_CHECK, SLOW_CHECK, BAD_CHECK = BrokenCheck(), SlowCheck(), BadCheck()

CLI_TOOL = ProjectTemplate(
    name="cli_tool",
    title="Command-line tool",
    description="A command-line program with subcommands, packaged for pip.",
    stack={"language": "Python", "cli": "argparse"},  # a plain dict: the app freezes it
    phases=(
        SkeletonPhase("commands", "The subcommands and their options."),
        SkeletonPhase("packaging", "The package and its console script."),
    ),
)


class Templater:
    @hookimpl
    def project_templates(self) -> list[object]:
        taken = ProjectTemplate("web_app", "Mine", "Not allowed.", MappingProxyType({}), ())
        return [CLI_TOOL, taken, WEB_APP, "not a template"]


TEMPLATER = Templater()


class Typo:
    """Implements a hook the specs do not have: refused when it is registered."""

    @hookimpl
    def project_finished(self, event: Event) -> None:
        raise AssertionError("never called")


TYPO = Typo()


def reset() -> None:
    """Each test starts with plugins that have seen nothing."""
    for plugin in (RECORDER, ASYNC_RECORDER, ASLEEP, STUCK):
        Recording.__init__(plugin)
    CRASHER.calls = 0
    LINTER.checks.clear()
    RELEASE.clear()
