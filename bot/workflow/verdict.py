"""The validator's review as GitHub shows it: the review's body, its inline comments on
lines of the phase's files, and the check run's annotations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.schemas import Review, Verdict
from bot.github.checks import Annotation
from bot.github.reviews import InlineComment
from bot.status import markdown as md

PASSING = frozenset({Verdict.PASS, Verdict.PASS_WITH_MINOR_ISSUES})
VERDICT_TEXT = {
    Verdict.PASS: "✅ Passes",
    Verdict.PASS_WITH_MINOR_ISSUES: "✅ Passes with minor issues",
    Verdict.FAIL: "❌ Changes needed",
}


def _items(title: str, items: Sequence[str]) -> list[str]:
    if not items:
        return []
    return ["", f"**{title}**", *(f"- {md.inline(item, 1000)}" for item in items)]


def review_text(review: Review, *, phase: int, revision: int) -> str:
    """The review's body: verdict, summary, issues, criteria (model text shown literally)."""
    after = f" (after revision {revision})" if revision else ""
    lines = [
        f"### Validator review of phase {phase}{after}: {VERDICT_TEXT[review.verdict]}",
        "",
        md.inline(review.summary, 2000),
        "",
        f"Compliance with the acceptance criteria: {review.compliance_score:g}%",
    ]
    lines += _items("Critical issues", review.critical_issues)
    lines += _items("Warnings", review.warnings)
    lines += _items("Suggestions", review.suggestions)
    criteria = [f"{'✅' if c.met else '❌'} {c.criterion}: {c.note}" for c in review.criteria]
    lines += _items("Acceptance criteria", criteria)
    return "\n".join(lines)


def inline_comments(review: Review, files: dict[str, str]) -> list[InlineComment]:
    """The review's comments on lines that exist in the phase's files."""
    found = []
    for comment in review.comments:
        content = files.get(comment.path)
        if content is not None and 1 <= comment.line <= max(1, len(content.splitlines())):
            found.append(InlineComment(comment.path, comment.line, md.model_markdown(comment.body)))
    return found


def check_annotations(review: Review, comments: Sequence[InlineComment]) -> list[Annotation]:
    level: Any = "notice" if review.verdict in PASSING else "warning"
    return [Annotation(c.path, c.line, c.line, level, c.body, title="Validator") for c in comments]
