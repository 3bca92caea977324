"""The plugins' review checks beside the validator: their findings join its review.

An error-level finding fails the review whatever the validator said; each finding is listed with
the validator's critical issues (errors), warnings or suggestions (notices), so the revision
answers it like the validator's own, and one on a line of the phase's files is an inline comment
and an annotation of the check run at its own level. A plugin's text is shown literally, as a
model's is: it can neither mention anyone nor break the Markdown around it.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.schemas import Review, Verdict
from bot.github.checks import Annotation, AnnotationLevel
from bot.github.reviews import InlineComment
from bot.plugins.checks import run_checks
from bot.plugins.context import PluginContext
from bot.plugins.findings import Finding, Level, ReviewCheck
from bot.status import markdown as md
from bot.workflow.context import Flow
from bot.workflow.hooks import phase_ref, project_ref
from storage.workflow import Phase

CHECK = "review_check"
ANNOTATION_LEVELS: dict[Level, AnnotationLevel] = {
    Level.ERROR: "failure",
    Level.WARNING: "warning",
    Level.NOTICE: "notice",
}


async def review_findings(flow: Flow, phase: Phase, sha: str) -> list[Finding]:
    """The enabled review checks' findings on the phase's head (none without such plugins)."""
    if not flow.deps.plugins.takes(CHECK):
        return []
    async with flow.deps.sessions() as session:
        project = await project_ref(session, flow.deps, flow.project)
    check = ReviewCheck(project=project, phase=phase_ref(phase), head_sha=sha, files=phase.files)
    context = PluginContext(flow.deps.settings, flow.deps.http)
    return await run_checks(flow.deps.plugins, check, context)


def errors(findings: Sequence[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.level is Level.ERROR]


def finding_text(finding: Finding) -> str:
    """`[lint] app/x.py line 3: E501: line too long`, as the review lists it."""
    where = f" {finding.path}" if finding.path else ""
    where += f" line {finding.line}" if finding.path and finding.line else ""
    rule = f"{finding.title}: " if finding.title else ""
    return f"[{finding.check}]{where}: {rule}{finding.message}"


def joined(review: Review, findings: Sequence[Finding]) -> Review:
    """The validator's review with the findings in it (failed by any error-level one)."""
    if not findings:
        return review
    listed = {level: [finding_text(f) for f in findings if f.level is level] for level in Level}
    update: dict[str, object] = {
        "critical_issues": [*review.critical_issues, *listed[Level.ERROR]],
        "warnings": [*review.warnings, *listed[Level.WARNING]],
        "suggestions": [*review.suggestions, *listed[Level.NOTICE]],
    }
    if errors(findings):
        update["verdict"] = Verdict.FAIL
    return review.model_copy(update=update)


def _placed(finding: Finding, files: dict[str, str]) -> bool:
    """On a line that exists in one of the phase's files."""
    content = files.get(finding.path or "")
    if content is None or finding.line is None:
        return False
    return finding.line <= max(1, len(content.splitlines()))


def finding_comments(findings: Sequence[Finding], files: dict[str, str]) -> list[InlineComment]:
    """The findings on lines of the phase's files, as inline comments of the review."""
    return [
        InlineComment(str(f.path), int(f.line or 1), md.inline(_comment(f), 2000))
        for f in findings
        if _placed(f, files)
    ]


def _comment(finding: Finding) -> str:
    rule = f" {finding.title}" if finding.title else ""
    return f"{finding.check} ({finding.level.value}{rule}): {finding.message}"


def finding_annotations(findings: Sequence[Finding], files: dict[str, str]) -> list[Annotation]:
    """The findings on the phase's files, as check-run annotations at their own level (one
    on a file but no line is put on its first line)."""
    return [
        Annotation(
            str(f.path),
            f.line or 1,
            max(f.end_line or f.line or 1, f.line or 1),
            ANNOTATION_LEVELS[f.level],
            f.message,
            title=f"{f.check}: {f.title}" if f.title else f.check,
        )
        for f in findings
        if f.path in files
    ]
