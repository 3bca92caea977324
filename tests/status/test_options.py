"""The options section of `/status` and the project page's rows, from the options snapshot."""

from __future__ import annotations

from bot.options import RepoOptions
from bot.options_chain import Origin, OriginKind, ResolvedOptions
from bot.status.options import (
    ALL_DEFAULT,
    NOT_READ,
    NOT_RECORDED,
    OMITTED,
    OPTIONS_HEADING,
    option_rows,
    options_markdown,
    with_options,
)
from bot.status.render import BODY_LIMIT

FILE = "octo-org/hello-world:.github/ai-orchestrator.yml"
OWN = Origin(kind=OriginKind.REPOSITORY, file=FILE)


def snapshot(options: RepoOptions, origins: dict[str, Origin]) -> dict[str, object]:
    files = (OWN,) if origins else ()
    return ResolvedOptions(options, origins, files, ()).snapshot()


def test_a_project_without_origins_says_why() -> None:
    assert options_markdown({}) == f"{OPTIONS_HEADING}\n\n{NOT_READ}"
    old = RepoOptions().model_dump(mode="json")
    assert options_markdown(old) == f"{OPTIONS_HEADING}\n\n{NOT_RECORDED}"
    assert option_rows(old) == []


def test_all_defaults_is_one_line() -> None:
    assert options_markdown(snapshot(RepoOptions(), {})) == f"{OPTIONS_HEADING}\n\n{ALL_DEFAULT}"


def test_values_written_by_a_person_render_literally() -> None:
    options = RepoOptions(models={"developer": "a`b @team"}, trigger_label="build <me>")
    origins = {"models.developer": OWN, "trigger_label": OWN}
    text = options_markdown(snapshot(options, origins))
    assert f"- `trigger_label` = `build <me>` from this repository: `{FILE}`" in text
    assert f"- `models.developer` = `a'b @team` from this repository: `{FILE}`" in text
    rows = {row.name: row for row in option_rows(snapshot(options, origins))}
    assert rows["models.developer"].value == "a`b @team"  # the page escapes it as HTML
    assert rows["template"].value == "none" and rows["template"].kind is OriginKind.DEFAULT
    assert rows["forbidden_paths"].value == "[]"


def test_status_keeps_its_size_limit() -> None:
    small = with_options("status", snapshot(RepoOptions(max_phases=3), {"max_phases": OWN}))
    assert small.startswith("status\n\n" + OPTIONS_HEADING) and "`max_phases` = `3`" in small
    big = "x" * (BODY_LIMIT - 20)
    answer = with_options(big, snapshot(RepoOptions(max_phases=3), {"max_phases": OWN}))
    assert answer == f"{big}\n\n{OPTIONS_HEADING}\n\n{OMITTED}"
