"""The dashboard's rendering logic without a server: charts, the dependency graph, Markdown
sanitising, the plan's Markdown, and which action buttons a project offers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from bot.web.dashboard.actions import Button, phase_buttons, project_buttons
from bot.web.dashboard.charts import Bar, Series, bar_chart, line_chart, meter
from bot.web.dashboard.graph import Node, dependency_graph, depths
from bot.web.dashboard.markdown import plan_markdown, render_markdown
from storage.money import format_usd
from storage.projects import Project, ProjectStatus
from storage.reports import PhaseRow
from storage.states import PhaseState

SVG = "{http://www.w3.org/2000/svg}"


def parsed(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_bar_lengths_follow_the_values_and_labels_are_escaped() -> None:
    svg = parsed(bar_chart([Bar("<b>dev</b>", 300), Bar("validator", 100)], label="Cost"))
    widths = [float(rect.get("width", "0")) for rect in svg.iter(f"{SVG}rect")]
    assert abs(widths[0] - 3 * widths[1]) < 0.5  # one scale: the longest bar spans it
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "<b>dev</b>" in texts  # as text: escaped in the markup, no element made
    assert not list(svg.iter("b")) and not list(svg.iter(f"{SVG}b"))


def test_an_empty_chart_says_so() -> None:
    assert "No data yet" in str(bar_chart([], label="Cost by phase"))
    assert "No data yet" in str(line_chart([], [], label="Spend"))


def test_a_line_chart_has_one_point_per_day_with_its_value_in_the_tooltip() -> None:
    days = ["2025-01-01", "2025-01-02", "2025-01-03"]
    chart = line_chart(
        [Series("octo/a", (0, 2_000_000_000, 500_000_000))], days, label="Spend", fmt=format_usd
    )
    svg = parsed(chart)
    titles = [c.findtext(f"{SVG}title") for c in svg.iter(f"{SVG}circle")]
    assert titles == ["octo/a, 2025-01-01: $0.00", "octo/a, 2025-01-02: $2.00",
                      "octo/a, 2025-01-03: $0.50"]  # fmt: skip
    ys = [float(c.get("cy", "0")) for c in svg.iter(f"{SVG}circle")]
    assert ys[1] < ys[2] < ys[0]  # SVG's y grows downwards: the biggest value is highest


def test_the_meter_turns_red_past_the_budget() -> None:
    within = parsed(meter(5, 10, label="Spend"))
    over = parsed(meter(15, 10, label="Spend"))

    def fill(svg: ET.Element) -> str:
        return next(r for r in svg.iter(f"{SVG}rect") if r.get("class") == "spent").get("fill", "")

    assert fill(within) == "#1a7f37" and fill(over) == "#cf222e"
    assert "(no budget)" in str(meter(5, 0, label="Spend"))


def test_the_graph_puts_each_phase_right_of_its_dependencies() -> None:
    nodes = [
        Node(1, "Models", "merged", ()),
        Node(2, "API", "coding", (1,)),
        Node(3, "UI", "planned", (1, 2)),
        Node(4, "Docs", "planned", (9,)),  # an unknown dependency is left out
    ]
    assert depths(nodes) == {1: 0, 2: 1, 3: 2, 4: 0}
    svg = parsed(dependency_graph(nodes))
    assert len(list(svg.iter(f"{SVG}path"))) == 1 + 3  # the arrow head, then three edges
    states = {g.get("data-phase"): g.get("data-state") for g in svg.iter(f"{SVG}g")}
    assert states == {"1": "merged", "2": "coding", "3": "planned", "4": "planned"}


def test_a_dependency_cycle_does_not_hang_the_graph() -> None:
    nodes = [Node(1, "A", "planned", (2,)), Node(2, "B", "planned", (1,))]
    assert set(depths(nodes)) == {1, 2}
    assert "<svg" in str(dependency_graph(nodes))


def test_markdown_from_a_model_loses_script_and_unsafe_links() -> None:
    html = str(
        render_markdown(
            "# Plan\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
            '[ok](https://example.test/a) <img src=x onerror="alert(1)">\n\n| a |\n|---|\n| 1 |'
        )
    )
    assert "<h1>Plan</h1>" in html and "<table>" in html
    assert "&lt;script&gt;" in html and "&lt;img" in html  # shown as text, never elements
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert '<a href="https://example.test/a" rel="noopener noreferrer nofollow">ok</a>' in html


def test_the_plan_renders_its_architecture_and_phases() -> None:
    plan = {
        "architecture": {
            "system_overview": "A small service.",
            "technology_stack": [{"area": "backend", "choice": "Python"}],
            "components": [{"name": "api", "type": "service", "responsibilities": ["serve"]}],
            "coding_standards": ["type hints"],
        },
        "phases": [
            {
                "id": 1,
                "name": "Models",
                "description": "Records.",
                "dependencies": [],
                "files_to_create": ["app/models.py"],
                "acceptance_criteria": ["tests pass"],
            },
        ],
        "features": ["orders"],
    }
    html = str(render_markdown(plan_markdown(plan)))
    for expected in ("A small service.", "<strong>backend</strong>: Python", "1. Models",
                     "app/models.py", "tests pass", "orders"):  # fmt: skip
        assert expected in html
    assert plan_markdown({}) == ""


def project(**changes: object) -> Project:
    values: dict[str, object] = {
        "id": 7, "installation_id": 1, "repo_id": 2, "owner": "o", "repo": "r",
        "issue_number": 3, "issue_title": "t", "started_by": "writer",
    }  # fmt: skip
    return Project.model_validate({**values, **changes})


def phase(state: PhaseState) -> PhaseRow:
    return PhaseRow(
        number=2, name="API", state=state, depends_on=[], pr_number=None, pr_url=None,
        revisions=0, people_revisions=0, ci_rounds=0, ci_fixes=0, verdict=None, error=None,
        spend_nanousd=0, started_at=datetime(2025, 1, 1, tzinfo=UTC), finished_at=None,
    )  # fmt: skip


def actions(buttons: list[Button]) -> list[str]:
    return [f"{b.action}:{b.argument}".rstrip(":") for b in buttons]


def test_the_buttons_follow_the_projects_state() -> None:
    awaiting = project(status=ProjectStatus.AWAITING_APPROVAL)
    assert actions(project_buttons(awaiting)) == ["approve", "pause", "abort"]
    paused = project(status=ProjectStatus.RUNNING, paused=True, paused_by="writer")
    assert actions(project_buttons(paused)) == ["resume", "abort"]
    assert actions(project_buttons(project(status=ProjectStatus.FAILED))) == ["retry", "abort"]
    assert project_buttons(project(status=ProjectStatus.DONE)) == []


def test_phase_buttons_retry_what_began_and_skip_what_is_unfinished() -> None:
    running = project(status=ProjectStatus.RUNNING)
    assert actions(phase_buttons(running, phase(PhaseState.FAILED))) == [
        "retry:phase-2",
        "skip:phase-2",
    ]
    assert actions(phase_buttons(running, phase(PhaseState.PLANNED))) == ["skip:phase-2"]
    assert phase_buttons(running, phase(PhaseState.MERGED)) == []  # the command refuses it
    assert actions(phase_buttons(running, phase(PhaseState.IN_REVIEW))) == [
        "retry:phase-2",
        "skip:phase-2",
    ]
    assert phase_buttons(project(status=ProjectStatus.ABORTED), phase(PhaseState.FAILED)) == []


def test_no_template_has_inline_script_or_style_attributes() -> None:
    """The CSP allows neither; a template that used one would break only in the browser."""
    from bot.web.dashboard.render import HERE

    for path in (HERE / "templates").glob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\ssrc=)", text), path.name
        assert not re.search(r"\s(style|on[a-z]+)=", text), path.name


def test_the_sanitiser_alone_keeps_only_the_allow_list() -> None:
    """The second layer, for HTML that did not come through the Markdown renderer."""
    from bot.web.dashboard.markdown import sanitise

    html = str(
        sanitise(
            '<p onclick="x()">a <a href="javascript:x()">b</a> <a href="https://e.test">c</a>'
            "<script>x()</script><iframe src=https://e.test></iframe></p>"
        )
    )
    assert html == (
        '<p>a <a rel="noopener noreferrer nofollow">b</a> '
        '<a href="https://e.test" rel="noopener noreferrer nofollow">c</a></p>'
    )
