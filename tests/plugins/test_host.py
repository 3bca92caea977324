"""Discovery and loading: plugins are the entry points of installed distributions, only those
PLUGINS names are loaded, in its order; one that is missing, fails to import or implements an
unknown hook is left out and named, by `ai-orchestrator plugins` and by `doctor`. Plugins may
add project templates, which labels pick like the built-in ones."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.cli.doctor import check_plugins
from bot.cli.main import main
from bot.files.project_templates import TEMPLATES, WEB_APP, pick_template
from bot.labels import app_labels
from bot.options import RepoOptions
from bot.plugins.host import NOT_INSTALLED, installed, load_plugins
from bot.settings import Settings
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.plugins.conftest import DISTRIBUTION
from tests.plugins.sample import CLI_TOOL
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import project_of, set_options, start_project, status_text

ALL_HOOKS = (
    "budget_paused, ci_failed, phase_failed, phase_merged, phase_opened, phase_reviewed, "
    "plan_approved, plan_ready, project_aborted, project_done, project_failed, project_started"
)


def test_installed_plugins_are_found_through_their_entry_points() -> None:
    found = {plugin.name: plugin for plugin in installed()}
    assert {"recorder", "linter", "notify"} <= set(found)
    recorder = found["recorder"]
    assert (recorder.distribution, recorder.version) == (DISTRIBUTION, "1.0")
    assert recorder.value == "tests.plugins.sample:RECORDER"


def test_only_the_enabled_plugins_load_in_their_order_and_failures_are_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    names = ["async_recorder", "ghost", "typo", "missing_module", "recorder"]
    with caplog.at_level(logging.ERROR):
        plugins = load_plugins(names, timeout=1)
    assert plugins.names == ("async_recorder", "recorder")
    failed = {failure.name: failure.error for failure in plugins.failures}
    assert failed["ghost"] == NOT_INSTALLED
    assert "project_finished" in failed["typo"] and "PluginValidationError" in failed["typo"]
    assert failed["missing_module"].startswith("ModuleNotFoundError")
    assert [impl.plugin_name for impl in plugins.impls("project_done")] == [
        "async_recorder",
        "recorder",
    ]
    assert not plugins.takes("review_check") and plugins.takes("phase_merged")
    assert plugins.hooks_of("recorder") == tuple(ALL_HOOKS.split(", "))
    assert plugins.manager.get_plugin("typo") is None  # refused, not half registered
    assert "plugin ghost not loaded" in caplog.text


def test_no_plugin_runs_unless_enabled() -> None:
    plugins = load_plugins([], timeout=1)
    assert plugins.names == () and not plugins.takes("project_started")
    assert plugins.templates == TEMPLATES


def test_plugins_add_templates_beside_the_built_in_ones(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        plugins = load_plugins(["templater"], timeout=1)
    assert list(plugins.templates) == [*TEMPLATES, "cli_tool"]
    assert plugins.templates["web_app"] is WEB_APP  # a built-in one cannot be taken over
    cli = plugins.templates["cli_tool"]
    assert (cli.title, dict(cli.stack)) == (CLI_TOOL.title, dict(CLI_TOOL.stack))
    with pytest.raises(TypeError):
        cli.stack["cli"] = "click"  # type: ignore[index]
    assert "'web_app' is taken" in caplog.text and "str is not a ProjectTemplate" in caplog.text
    assert pick_template(RepoOptions(), ["template:CLI-Tool"], plugins.templates) is cli
    assert pick_template(RepoOptions(), ["template:cli_tool"]) is None  # the built-ins alone
    labels = [label.name for label in app_labels("ai-orchestrator", plugins.templates)]
    assert labels[-1] == "template:cli_tool" and len(labels) == len(TEMPLATES) + 2


@pytest.mark.plugins("templater")
async def test_a_plugins_template_label_seeds_the_brief(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    ScriptedProject(phases=1).install(scripted_model)
    _, opened = fake_github.person_opens_issue(
        "octocat", "A tool", "Count lines.", labels=["template:cli_tool"]
    )
    number = int(opened["issue"]["number"])
    await workflow_app.deliver(
        *fake_github.person_labels_issue("writer", number, "ai-orchestrator")
    )
    await workflow_app.settle(fake_github)
    assert (await project_of(workflow_app)).template == "cli_tool"
    [brainstorm] = scripted_model.calls("developer.brainstorm")
    assert "Project template: Command-line tool (`cli_tool`)" in brainstorm.user
    assert "commands: The subcommands and their options." in brainstorm.user


@pytest.mark.plugins("templater")
@pytest.mark.parametrize(("name", "chosen"), [("cli_tool", "cli_tool"), ("gui_tool", None)])
async def test_the_template_option_names_a_plugins_template_or_says_it_is_unknown(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
    name: str,
    chosen: str | None,
) -> None:
    """`template:` in the options file may name a plugin's template as well as a built-in
    one; a name no loaded template has is a notice in the status comment, not a silence."""
    set_options(fake_github, f"template: {name}\n")
    ScriptedProject(phases=1).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    assert (await project_of(workflow_app)).template == chosen
    notice = f"`template: {name}` names no template here"
    assert (notice in status_text(fake_github, number)) is (chosen is None)


def _cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, plugins: str) -> None:
    monkeypatch.setenv("ENV_FILE_PATH", str(tmp_path / ".env"))  # none there
    monkeypatch.setenv("PLUGINS", plugins)


def test_the_plugins_command_lists_installed_and_enabled_plugins_with_their_hooks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(monkeypatch, tmp_path, "recorder,linter")
    assert main(["plugins"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["plugin"].split() == ["plugin", "enabled", "package", "hooks"]
    assert lines["recorder"].split(maxsplit=4)[1:] == ["yes", DISTRIBUTION, "1.0", ALL_HOOKS]
    assert lines["linter"].split()[1:] == ["yes", DISTRIBUTION, "1.0", "review_check"]
    assert lines["raiser"].split(maxsplit=4)[1:] == [
        "no",
        DISTRIBUTION,
        "1.0",
        "(not loaded: not in PLUGINS)",
    ]


def test_the_plugins_command_fails_when_an_enabled_plugin_does_not_load(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(monkeypatch, tmp_path, "recorder,ghost")
    assert main(["plugins"]) == 1
    [ghost] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ghost")]
    assert ghost.split(maxsplit=3) == ["ghost", "yes", "-", f"FAILED: {NOT_INSTALLED}"]


def test_doctor_checks_that_the_enabled_plugins_load() -> None:
    settings = Settings(_env_file=None, plugins="recorder,typo")  # type: ignore[call-arg]
    lines = [check.line() for check in check_plugins(settings)]
    assert lines[0] == "ok    plugin recorder: loaded, 12 hooks"
    assert lines[1].startswith("FAIL  plugin typo: PluginValidationError")
    quiet = Settings(_env_file=None)  # type: ignore[call-arg]
    [line] = [check.line() for check in check_plugins(quiet)]
    assert line.startswith("ok    plugins: none enabled (PLUGINS); installed: ")
    assert "notify" in line and "recorder" in line
