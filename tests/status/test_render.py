"""The status comment: every state, the cost meter, the graph, hostile text and the size limit."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.status.markdown import code, inline, mermaid_label, safe_url
from bot.status.model import CostView, PhaseView, StatusView, Totals
from bot.status.render import (
    BODY_LIMIT,
    COMMENT_LIMIT,
    CRITERIA_OMITTED,
    GRAPH_OMITTED,
    HEADING,
    MORE_NOTICES,
    PHASE_ICONS,
    PHASE_TEXT,
    PHASES_OMITTED,
    STATE_ICONS,
    fits,
    meter_bar,
    render_status,
)
from storage.money import usd_to_nano
from storage.states import PhaseState

REPO = "https://github.com/octo-org/hello-world"
PLAN_URL = f"{REPO}/blob/ai-orchestrator/issue-12/.ai-orchestrator/issue-12/plan.yaml"
NO_COST = CostView(0, usd_to_nano(10), 0, 0, 0, 0, None)


def phase(number: int, state: PhaseState = PhaseState.PLANNED, **overrides: object) -> PhaseView:
    base = PhaseView(
        number=number,
        name=f"Phase {number}",
        state=state,
        depends_on=tuple(range(1, number))[-1:],
        acceptance_criteria=(f"criterion of {number}",),
        pr_number=None,
        pr_url=None,
        revisions=0,
        note=None,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def view(**overrides: object) -> StatusView:
    base = StatusView(
        project_ref="octo-org/hello-world#12",
        step="Planning",
        state="planning",
        phases=(),
        cost=NO_COST,
        plan_url=None,
        final_pr_url=None,
        notices=(),
        totals=None,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def mermaid_block(text: str) -> list[str]:
    start = text.index("```mermaid\n") + len("```mermaid\n")
    return text[start : text.index("\n```", start)].splitlines()


EXPECTED = f"""\
### 🤖 AI Orchestrator

⚙️ **Phase 2: validator reviewing**

💰 **Cost:** $4.20 of $10.00 · ▓▓▓▓░░░░░░ 42%

🔢 **Tokens:** 120,000 in (50,000 cached) · 30,000 out · 💾 the cache saved $0.25

📄 **Plan:** [plan.yaml]({PLAN_URL})

#### Phases (1/3 done)

- [x] ✅ **1. Project setup** · merged · [#34]({REPO}/pull/34) · 1 revision
  <details><summary>Acceptance criteria (2)</summary>

  - Package installs
  - Tests run

  </details>

- [ ] 🔍 **2. Greeting endpoint** · in review · [#35]({REPO}/pull/35)
  <details><summary>Acceptance criteria (1)</summary>

  - GET /hello answers 200

  </details>

- [ ] ⚪ **3. Docs** · planned

#### Dependencies

```mermaid
flowchart TD
  P1["1 · Project setup"]
  P2["2 · Greeting endpoint"]
  P3["3 · Docs"]
  P1 --> P2
  P1 --> P3
  P2 --> P3
  classDef planned fill:#f6f8fa,stroke:#8c959f,color:#24292f
  class P3 planned
  classDef in_review fill:#ddf4ff,stroke:#0969da,color:#0a3069
  class P2 in_review
  classDef merged fill:#dafbe1,stroke:#1a7f37,color:#044f1e
  class P1 merged
```
"""

RUNNING = view(
    step="Phase 2: validator reviewing",
    state="running",
    phases=(
        phase(
            1,
            PhaseState.MERGED,
            name="Project setup",
            acceptance_criteria=("Package installs", "Tests run"),
            pr_number=34,
            pr_url=f"{REPO}/pull/34",
            revisions=1,
        ),
        phase(
            2,
            PhaseState.IN_REVIEW,
            name="Greeting endpoint",
            acceptance_criteria=("GET /hello answers 200",),
            pr_number=35,
            pr_url=f"{REPO}/pull/35",
        ),
        phase(3, name="Docs", depends_on=(1, 2), acceptance_criteria=()),
    ),
    cost=CostView(
        spent_nanousd=usd_to_nano("4.20"),
        budget_nanousd=usd_to_nano(10),
        input_tokens=120_000,
        output_tokens=30_000,
        cached_input_tokens=50_000,
        cache_saved_nanousd=usd_to_nano("0.25"),
        estimate_remaining_nanousd=None,
    ),
    plan_url=PLAN_URL,
)


def test_a_running_project() -> None:
    assert render_status(RUNNING) == EXPECTED


def test_output_is_deterministic() -> None:
    rebuilt = replace(RUNNING, phases=tuple(replace(p) for p in RUNNING.phases))
    assert render_status(RUNNING) == render_status(rebuilt) == render_status(RUNNING)


def test_planning_has_no_phase_sections() -> None:
    text = render_status(view())
    assert text == (
        f"{HEADING}\n\n⏳ **Planning**\n\n"
        "💰 **Cost:** $0.00 of $10.00 · ░░░░░░░░░░ 0%\n\n"
        "🔢 **Tokens:** 0 in (0 cached) · 0 out\n"
    )


@pytest.mark.parametrize("state", [*STATE_ICONS, "something_new"])
def test_every_project_state_renders(state: str) -> None:
    text = render_status(view(state=state, step="The step", phases=(phase(1),)))
    icon = STATE_ICONS.get(state, "📌")
    assert text.startswith(f"{HEADING}\n\n{icon} **The step**\n\n")


@pytest.mark.parametrize("state", list(PhaseState))
def test_every_phase_state_renders(state: PhaseState) -> None:
    text = render_status(view(phases=(phase(1), phase(2, state))))
    box = "[x]" if state in (PhaseState.MERGED, PhaseState.SKIPPED) else "[ ]"
    assert f"- {box} {PHASE_ICONS[state]} **2. Phase 2** · {PHASE_TEXT[state]}\n" in text
    assert re.search(rf"^  classDef {state.value} fill:#\w{{6}},stroke:#\w{{6}},color:", text, re.M)
    assert f"  class P2 {state.value}" in text or f"  class P1,P2 {state.value}" in text


def test_pull_request_revisions_and_note() -> None:
    failed = phase(
        4,
        PhaseState.FAILED,
        depends_on=(),
        pr_number=40,
        pr_url=f"{REPO}/pull/40",
        revisions=3,
        note="Tests failed three times; comment /retry phase-4 to try again",
    )
    assert (
        f"- [ ] ❌ **4. Phase 4** · failed · [#40]({REPO}/pull/40) · 3 revisions · "
        "Tests failed three times; comment /retry phase-4 to try again\n"
    ) in render_status(view(phases=(failed,)))


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://github.com/o/r/pull/1",
        "https://github.com/o/r/pull/1\n[x](https://evil.example)",
        f'{REPO}/pull/1"',
        f"{REPO}/pull/1) [click](https://evil.example",
        f"{REPO}/pull/1 title",
        f"{REPO}/pull/1>",
        "https://github.com",
    ],
)
def test_unsafe_links_are_shown_as_text(url: str) -> None:
    text = render_status(view(phases=(phase(1, pr_number=7, pr_url=url),), plan_url=url))
    assert "· #7" in text
    assert "](" not in text
    assert "**Plan:**" not in text


def test_notices_are_a_quote_block() -> None:
    text = render_status(view(notices=("First thing", "Second thing")))
    assert "\n\n> ⚠️ First thing\n>\n> ⚠️ Second thing\n\n" in text


def test_many_notices_are_capped() -> None:
    text = render_status(view(notices=tuple(f"notice {n}" for n in range(12))))
    assert "notice 9" in text
    assert "notice 10" not in text
    assert "> " + MORE_NOTICES.format(count=2) in text


@pytest.mark.parametrize(
    ("spent", "percent", "bar"),
    [
        ("0", 0, "░░░░░░░░░░"),
        ("0.999", 9, "░░░░░░░░░░"),
        ("4.20", 42, "▓▓▓▓░░░░░░"),
        ("7.999999999", 79, "▓▓▓▓▓▓▓░░░"),
        ("8", 80, "▓▓▓▓▓▓▓▓░░"),
        ("10", 100, "▓▓▓▓▓▓▓▓▓▓"),
        ("15", 150, "▓▓▓▓▓▓▓▓▓▓"),
    ],
)
def test_cost_meter(spent: str, percent: int, bar: str) -> None:
    cost = replace(NO_COST, spent_nanousd=usd_to_nano(spent))
    text = render_status(view(cost=cost))
    assert f" · {bar} {percent}%\n\n" in text
    assert meter_bar(usd_to_nano(spent), usd_to_nano(10)) == bar


def test_small_spend_is_not_shown_as_nothing() -> None:
    cost = replace(NO_COST, spent_nanousd=4_200_000)
    assert "💰 **Cost:** $0.0042 of $10.00 · ░░░░░░░░░░ 0%" in render_status(view(cost=cost))


def test_estimate_before_phases_start() -> None:
    cost = replace(NO_COST, spent_nanousd=usd_to_nano("0.80"), estimate_remaining_nanousd=2_345_000)
    text = render_status(view(cost=cost))
    assert "💰 **Cost:** $0.80 of $10.00 · ░░░░░░░░░░ 8% · ≈ $0.0023 more estimated\n\n" in text
    assert "estimated" not in render_status(view())


def test_no_budget_shows_the_spend_only() -> None:
    cost = CostView(usd_to_nano("1.5"), 0, 10, 20, 0, 0, None)
    assert "💰 **Cost:** $1.50\n\n🔢 **Tokens:** 10 in (0 cached) · 20 out\n" in render_status(
        view(cost=cost)
    )


def test_done_shows_the_final_pull_request_and_totals() -> None:
    totals = Totals(
        phases=5,
        skipped=1,
        pull_requests=5,
        revisions=3,
        input_tokens=1_234_567,
        output_tokens=89_000,
        spent_nanousd=usd_to_nano("6.5"),
        cache_saved_nanousd=usd_to_nano("1.25"),
    )
    text = render_status(
        view(state="done", step="Done", final_pr_url=f"{REPO}/pull/50", totals=totals)
    )
    assert text.endswith(
        f"🎉 **Final pull request:** [open it]({REPO}/pull/50)\n\n"
        "**Totals:** 5 phases (1 skipped) · 5 pull requests · 3 revisions · "
        "1,234,567 tokens in / 89,000 out · $6.50 spent · $1.25 saved by the cache\n"
    )


def test_a_24_phase_graph() -> None:
    phases = tuple(
        phase(n, list(PhaseState)[n % len(PhaseState)], depends_on=(n - 1, n - 2)[: n - 1])
        for n in range(1, 25)
    )
    text = render_status(view(phases=phases))
    lines = mermaid_block(text)
    assert lines[0] == "flowchart TD"
    assert [line for line in lines if line.startswith("  P") and "[" in line] == [
        f'  P{n}["{n} · Phase {n}"]' for n in range(1, 25)
    ]
    edges = [line for line in lines if "-->" in line]
    assert len(edges) == 1 + 2 * 22
    assert "  P23 --> P24" in edges and "  P22 --> P24" in edges
    classes = [line for line in lines if line.startswith("  class ")]
    assert len(classes) == len(PhaseState)
    assert sorted(node for line in classes for node in line.split()[1].split(",")) == sorted(
        f"P{n}" for n in range(1, 25)
    )
    done = sum(p.state in (PhaseState.MERGED, PhaseState.SKIPPED) for p in phases)
    assert done == 4  # phases 7, 17 (merged) and 8, 18 (skipped) of the ten states' cycle
    assert f"#### Phases ({done}/24 done)" in text
    assert fits(text)


def test_unknown_dependencies_are_left_out_of_the_graph() -> None:
    text = render_status(view(phases=(phase(1), phase(2, depends_on=(1, 9)))))
    assert [line for line in mermaid_block(text) if "-->" in line] == ["  P1 --> P2"]


def test_a_single_phase_has_no_graph() -> None:
    assert "mermaid" not in render_status(view(phases=(phase(1),)))


HOSTILE = [
    '"]; click P1 call alert(1)',
    "<script>alert(1)</script>",
    "```\n# Heading\n```",
    "`code` **bold** _it_ [link](https://evil.example) ![img](x)",
    "@octocat and octo-org/other#1 and #2",
    "a | table | row",
    "$x^2$ math",
    "line\nbreak\r\n- list item\n> quote",
    "&lt;entity&gt; &#60;",
    "%% comment\nclassDef x fill:red",
    "P1 --> P2",
    "end",
    "\u202eevil\u200b",
]
# Inside a quoted label: nothing that ends the string, the brackets or the statement.
LABEL = r"(?:[^\"\[\]<>`;#&%\n]|#\d+;)*"
MERMAID_LINE = re.compile(
    rf'flowchart TD|  P\d+\["\d+ · {LABEL}"\]|  P\d+ --> P\d+'
    r"|  classDef \w+ fill:#\w{6},stroke:#\w{6},color:#\w{6}(?:,stroke-dasharray:4 3)?"
    r"|  class P\d+(?:,P\d+)* \w+"
)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_neutralised_in_the_graph(name: str) -> None:
    text = render_status(view(phases=(phase(1, name=name), phase(2, name=name))))
    lines = mermaid_block(text)
    assert all(MERMAID_LINE.fullmatch(line) for line in lines), lines
    assert not any(line.lstrip().startswith("click") for line in lines)
    assert len([line for line in lines if "-->" in line]) == 1


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_neutralised_in_markdown(text: str) -> None:
    rendered = render_status(
        view(
            step=text,
            notices=(text,),
            phases=(phase(1, name=text, note=text, acceptance_criteria=(text,)),),
        )
    )
    assert "<script" not in rendered
    assert "](https://evil" not in rendered
    assert "@octocat" not in rendered
    assert "other#1" not in rendered
    assert re.search(r"(?<!\\)[`*_\[\]|$]", _our_markup_removed(rendered)) is None
    # The text never starts a line of its own: no heading, list item or quote it chose.
    for line in rendered.splitlines():
        assert not line.startswith(("# ", "> quote", "- list item", "```", "classDef"))


def _our_markup_removed(text: str) -> str:
    """The comment without the Markdown we write ourselves (bold, task boxes), leaving only
    the untrusted text, where every special character must be escaped."""
    text = re.sub(r"^💰.*$", "", text, flags=re.M)
    text = re.sub(r"\*\*", "", text)
    text = re.sub(r"^- \[[ x]\] ", "", text, flags=re.M)
    return text


def test_escaping_helpers() -> None:
    assert inline("a <b> & `c` @d #1 [e](f)") == (
        "a &lt;b&gt; &amp; \\`c\\` @\u200bd \\#\u200b1 \\[e\\]\\(f\\)"
    )
    assert inline("x" * 500, limit=10) == "xxxxxxxxx…"
    assert mermaid_label('a"b]c') == "a#34;b#93;c"
    assert safe_url(f"{REPO}/pull/1") == f"{REPO}/pull/1"
    assert (
        safe_url("http://ghe.local:8080/o/r/pull/1#top") == "http://ghe.local:8080/o/r/pull/1#top"
    )
    assert safe_url("https://github.com/o/r/pull/(1)") is None


def test_criteria_go_first_when_the_comment_is_too_long() -> None:
    criteria = tuple(f"criterion {n} " + "<" * 280 for n in range(40))
    phases = tuple(phase(n, acceptance_criteria=criteria) for n in range(1, 25))
    text = render_status(view(phases=phases))
    assert fits(text)
    assert "<details>" not in text
    assert CRITERIA_OMITTED in text
    assert "```mermaid" in text
    assert "**24. Phase 24**" in text


def test_then_the_graph() -> None:
    dense = tuple(phase(n, depends_on=tuple(range(1, n))) for n in range(1, 201))
    text = render_status(view(phases=dense))
    assert fits(text)
    assert GRAPH_OMITTED in text
    assert "mermaid" not in text
    assert "**200. Phase 200**" in text


def test_then_phases_at_the_end_of_the_list() -> None:
    many = tuple(phase(n, name="<" * 200, note="&" * 400, depends_on=()) for n in range(1, 1001))
    text = render_status(view(phases=many, notices=("x" * 1000,) * 12))
    assert len(text.encode("utf-16-le")) // 2 <= BODY_LIMIT < COMMENT_LIMIT
    assert "**1. " in text
    assert "**1000. " not in text
    shown = len(re.findall(r"^- \[ \] ", text, re.M))
    assert PHASES_OMITTED.format(count=1000 - shown) in text
    assert CRITERIA_OMITTED in text and GRAPH_OMITTED in text


def test_the_limit_counts_utf16_code_units() -> None:
    assert fits("😀" * (BODY_LIMIT // 2))
    assert not fits("😀" * (BODY_LIMIT // 2 + 1))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_inside_one_code_span(text: str) -> None:
    span = code(text)
    assert span.startswith("`") and span.endswith("`") and span.count("`") == 2
    assert "\n" not in span and "\u202e" not in span
