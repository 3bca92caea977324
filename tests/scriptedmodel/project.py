"""A whole scripted project: realistic answers for every step, for end-to-end tests and the
benchmark. Phase k writes a service module, a models module and a test module (about 100-300
lines each) that import the previous phase's service, as a real incremental project would.

    project = ScriptedProject(phases=6)
    project.install(model)   # scripts every agent step on the ScriptedModel
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from agents.schemas import (
    Architecture,
    Brainstorm,
    Breakdown,
    BreakdownReview,
    Commands,
    Component,
    ConflictResolution,
    CriterionCoverage,
    Feature,
    FileContent,
    IntegrationSummary,
    MicroPhase,
    PhaseFiles,
    PhaseRecovery,
    PlanDecision,
    PullRequestText,
    Readiness,
    RecoveryDecision,
    Review,
    Revision,
    StackItem,
    Verdict,
)
from tests.scriptedmodel.model import RecordedRequest, ScriptedModel

WORDS = [
    *("order", "invoice", "customer", "account", "ledger"),
    *("report", "schedule", "payment", "refund", "audit"),
]


def _paths(k: int) -> tuple[str, str, str]:
    return f"app/feature{k}/service.py", f"app/feature{k}/models.py", f"tests/test_feature{k}.py"


def _method(rng: random.Random, k: int, index: int) -> list[str]:
    word = rng.choice(WORDS)
    lines = [
        f"    def {word}_{index}(self, record_id: int, limit: int = LIMIT_{k}) -> list[Record{k}]:",
        f'        """Return the {word} records related to `record_id`, at most `limit`."""',
        "        if limit <= 0:",
        '            raise ValueError("limit must be positive")',
        "        found = []",
        "        for record in self.records.values():",
        f"            if record.owner_id == record_id and record.kind == {word!r}:",
        "                found.append(record)",
        "            if len(found) >= limit:",
        "                break",
        "        return sorted(found, key=lambda record: record.id)",
        "",
    ]
    return lines


def service_module(k: int, lines: int, rng: random.Random) -> str:
    parent = f"from app.feature{k - 1}.service import Feature{k - 1}Service\n" if k > 1 else ""
    head = [
        f'"""Feature {k}: the service layer over Record{k}."""',
        "",
        "from __future__ import annotations",
        "",
        f"from app.feature{k}.models import Record{k}",
        *([parent.rstrip()] if parent else []),
        "",
        f"LIMIT_{k} = 100",
        "",
        "",
        f"class Feature{k}Service:",
        f'    """Stores Record{k} values and answers queries over them."""',
        "",
        f"    def __init__(self, records: dict[int, Record{k}] | None = None) -> None:",
        "        self.records = records or {}",
        "",
    ]
    body: list[str] = []
    index = 1
    while len(head) + len(body) < lines:
        body += _method(rng, k, index)
        index += 1
    return "\n".join(head + body) + "\n"


def models_module(k: int, lines: int) -> str:
    out = [
        f'"""Feature {k}: the records it stores."""',
        "",
        "from __future__ import annotations",
        "",
        "from dataclasses import dataclass, field",
        "",
        "",
        "@dataclass",
        f"class Record{k}:",
        "    id: int",
        "    owner_id: int",
        "    kind: str",
        "    tags: list[str] = field(default_factory=list)",
        "",
    ]
    number = 1
    while len(out) < lines:
        out += [
            "",
            f"def validate_{number}(record: Record{k}) -> list[str]:",
            f'    """Problems with `record` under rule {number}."""',
            "    problems = []",
            "    if record.id < 1:",
            '        problems.append("id must be positive")',
            f"    if len(record.tags) > {number + 5}:",
            '        problems.append("too many tags")',
            "    return problems",
            "",
        ]
        number += 1
    return "\n".join(out) + "\n"


def tests_module(k: int, lines: int) -> str:
    out = [
        f'"""Tests of feature {k}."""',
        "",
        f"from app.feature{k}.models import Record{k}",
        f"from app.feature{k}.service import Feature{k}Service",
        "",
    ]
    number = 1
    while len(out) < lines:
        out += [
            "",
            f"def test_query_{number}() -> None:",
            f"    service = Feature{k}Service({{1: Record{k}(id=1, owner_id=7, kind='order')}})",
            "    assert service.records[1].owner_id == 7",
            f"    assert Record{k}(id={number}, owner_id=1, kind='audit').id == {number}",
            "",
        ]
        number += 1
    return "\n".join(out) + "\n"


@dataclass
class ScriptedProject:
    phases: int
    seed: int = 7

    def brainstorm(self) -> Brainstorm:
        features = [
            Feature(
                name=f"{word.title()} management",
                description=f"Create, list and query {word}s.",
                priority=1 + i % 5,
            )
            for i, word in enumerate(WORDS)
        ]
        return Brainstorm(
            summary="A back-office service for orders and their accounting.",
            features=features,
            risks=["Data migrations between phases", "Consistency of money amounts"],
            open_questions=["Which currencies are needed?"],
        )

    def architecture(self) -> Architecture:
        return Architecture(
            system_overview="A Python service: one package per feature, a service layer over "
            "dataclass records, tested with pytest.",
            technology_stack=[
                StackItem(area="language", choice="Python 3.11"),
                StackItem(area="testing", choice="pytest"),
                StackItem(area="storage", choice="in-memory dictionaries behind services"),
            ],
            components=[
                Component(
                    name=f"feature{k}",
                    type="package",
                    responsibilities=[f"{WORDS[k % 10]} records", "queries"],
                )
                for k in range(1, self.phases + 1)
            ],
            coding_standards=[
                "Type hints on every function; mypy strict.",
                "One package per feature: models.py, service.py.",
                "Each public function has a docstring and a test.",
                "No global state; services receive their records.",
            ],
            commands=Commands(setup=["python -m pip install pytest"], test=["python -m pytest"]),
        )

    def phase(self, k: int) -> MicroPhase:
        service, models, tests = _paths(k)
        after = f" Builds on app/feature{k - 1}/service.py." if k > 1 else ""
        return MicroPhase(
            id=k,
            name=f"Feature {k}: {WORDS[k % 10]} records",
            description=f"Records and queries for {WORDS[k % 10]}s.{after}",
            phase_type="setup" if k == 1 else "feature",
            files_to_create=[service, models, tests],
            tests_to_write=[f"queries of feature {k}", f"validation of Record{k}"],
            dependencies=[k - 1] if k > 1 else [],
            priority=1 if k <= 2 else 2,
            acceptance_criteria=[
                f"Feature{k}Service answers every query sorted by id",
                f"Record{k} validation rejects bad ids",
                "Tests pass with pytest",
            ],
            implementation_approach="A dataclass model, a service class over a dict, pytest tests.",
        )

    def breakdown(self) -> Breakdown:
        return Breakdown(phases=[self.phase(k) for k in range(1, self.phases + 1)])

    def phase_files(self, k: int) -> PhaseFiles:
        rng = random.Random(self.seed * 1000 + k)
        service, models, tests = _paths(k)
        files = [
            FileContent(path=models, content=models_module(k, rng.randint(100, 160))),
            FileContent(path=service, content=service_module(k, rng.randint(160, 280), rng)),
            FileContent(path=tests, content=tests_module(k, rng.randint(90, 140))),
        ]
        return PhaseFiles(
            summary=f"Adds Record{k} and Feature{k}Service with their tests.", files=files
        )

    def review(self, k: int) -> Review:
        criteria = [
            CriterionCoverage(criterion=c, met=True, note="covered by the tests")
            for c in self.phase(k).acceptance_criteria
        ]
        return Review(
            verdict=Verdict.PASS,
            summary=f"Phase {k} meets its criteria.",
            critical_issues=[],
            warnings=[],
            suggestions=["Consider a property-based test for the queries."],
            criteria=criteria,
            compliance_score=96.0,
            comments=[],
        )

    def pr_text(self, k: int) -> PullRequestText:
        phase = self.phase(k)
        checklist = "\n".join(f"- [x] {c}" for c in phase.acceptance_criteria)
        return PullRequestText(
            commit_message=f"Add feature {k}: {WORDS[k % 10]} records\n\n{phase.description}",
            title=f"Phase {k}: {phase.name}",
            body=f"## What\n{phase.description}\n\n## Acceptance criteria\n{checklist}\n",
        )

    def summary(self) -> IntegrationSummary:
        return IntegrationSummary(
            readiness=Readiness.READY_FOR_RELEASE,
            release_notes="\n".join(f"- Feature {k}" for k in range(1, self.phases + 1)),
            pr_body=f"All {self.phases} phases merged and reviewed.",
            undone=[],
        )

    def install(self, model: ScriptedModel) -> None:
        """Scripts every step of the plan, the phases and the integration."""
        model.script("manager.brainstorm", self.brainstorm())
        model.script("developer.brainstorm", self.brainstorm())
        model.script("manager.synthesis", self.brainstorm())
        model.script("developer.architecture", self.architecture())
        model.script("developer.breakdown", self.breakdown())
        model.script(
            "manager.breakdown_review",
            BreakdownReview(
                decision=PlanDecision.APPROVED,
                reasons=["Covers the request."],
                requested_changes=[],
            ),
        )
        model.script("developer.phase_files", lambda r: self.phase_files(_phase(r)))
        model.script("validator.review", lambda r: self.review(_phase(r)))
        model.script("git.pr_text", lambda r: self.pr_text(_phase(r)))
        model.script("integration.summary", self.summary())
        model.script(
            "developer.revise",
            Revision(summary="No change needed.", edits=[], new_files=[], replies=[]),
        )
        model.script(
            "manager.recovery",
            RecoveryDecision(
                decision=PhaseRecovery.SKIP,
                reasoning="Not essential.",
                guidance="",
                split_into=[],
                question="",
            ),
        )
        model.script(
            "git.conflict",
            ConflictResolution(path="README.md", content="# merged\n", explanation="Kept both."),
        )


def _phase(request: RecordedRequest) -> int:
    phase = request.phase
    if phase is None:
        raise AssertionError(f"no phase heading in the {request.step} request")
    return phase
