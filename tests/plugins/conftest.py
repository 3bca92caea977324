"""Plugins installed for real: a distribution's metadata (`*.dist-info` with METADATA and
`entry_points.txt`) written to a folder put on `sys.path`, where `importlib.metadata` finds its
entry points as it finds any installed package's. The plugins themselves are `tests.plugins.sample`.

A test enables plugins for its app with `@pytest.mark.plugins("recorder,raiser")`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.plugins import sample

DISTRIBUTION = "ai-orchestrator-test-plugins"
POINTS = {
    "recorder": "tests.plugins.sample:RECORDER",
    "async_recorder": "tests.plugins.sample:ASYNC_RECORDER",
    "raiser": "tests.plugins.sample:RAISER",
    "asleep": "tests.plugins.sample:ASLEEP",
    "stuck": "tests.plugins.sample:STUCK",
    "crasher": "tests.plugins.sample:CRASHER",
    "linter": "tests.plugins.sample:LINTER",
    "broken_check": "tests.plugins.sample:BROKEN_CHECK",
    "slow_check": "tests.plugins.sample:SLOW_CHECK",
    "bad_check": "tests.plugins.sample:BAD_CHECK",
    "templater": "tests.plugins.sample:TEMPLATER",
    "typo": "tests.plugins.sample:TYPO",
    "missing_module": "tests.plugins.no_such_module",
}
TIMEOUT = 0.3  # PLUGIN_TIMEOUT_SECONDS in these tests: a hang is given up quickly


def install(site: Path, name: str, points: dict[str, str], version: str = "1.0") -> None:
    """Writes an installed distribution's metadata, with `points` in the plugins' group."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    (info / "METADATA").write_text(metadata, encoding="utf-8")
    lines = ["[ai_orchestrator.plugins]", *(f"{k} = {v}" for k, v in points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(autouse=True)
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The sample plugins installed (and reset); the app's own `notify` too, as `pip install`
    of this project would install it from pyproject.toml."""
    site = tmp_path / "site-packages"
    install(site, DISTRIBUTION, POINTS)
    install(site, "ai-orchestrator-notify-for-tests", {"notify": "bot.plugins.notify"}, "0.1")
    monkeypatch.syspath_prepend(str(site))
    sample.reset()
    yield site
    sample.RELEASE.set()


@pytest.fixture
def app_settings(app_settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The suite's settings, with the plugins the test's `plugins` mark enables."""
    marker = request.node.get_closest_marker("plugins")
    names = str(marker.args[0]) if marker is not None else ""
    return app_settings.model_copy(update={"plugins": names, "plugin_timeout_seconds": TIMEOUT})
