"""Check runs the App reports (the validator's verdict); what CI says is `bot.github.ci`.

GitHub takes at most 50 annotations per request (more go in further PATCHes, which append)
and at most 65,535 characters of `summary` and of `text`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.github.client import GitHubClient
from bot.github.repo import REPO_URL, Repo

log = logging.getLogger(__name__)

CHECK_RUNS_URL = REPO_URL + "/check-runs"
CHECK_RUN_URL = REPO_URL + "/check-runs/{check_run_id}"
RUNS_FOR_REF_URL = REPO_URL + "/commits/{sha}/check-runs{?check_name,app_id,per_page}"
COMBINED_STATUS_URL = REPO_URL + "/commits/{sha}/status{?per_page}"
VALIDATOR_CHECK = "ai-orchestrator/validator"
MAX_ANNOTATIONS = 50
MAX_OUTPUT_CHARS = 65_535
MAX_ANNOTATION_TITLE = 255
MAX_ANNOTATION_MESSAGE_BYTES = 64 * 1024
TRUNCATED = "\n\n… (truncated)"
PASSING_CONCLUSIONS = frozenset({"success", "neutral", "skipped"})  # of a CI check run

AnnotationLevel = Literal["notice", "warning", "failure"]


@dataclass(frozen=True)
class Annotation:
    path: str
    start_line: int
    end_line: int
    annotation_level: AnnotationLevel
    message: str
    title: str | None = None

    def as_json(self) -> dict[str, Any]:
        shaped: dict[str, Any] = {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "annotation_level": self.annotation_level,
            "message": _cut_bytes(self.message, MAX_ANNOTATION_MESSAGE_BYTES),
        }
        if self.title:
            shaped["title"] = self.title[:MAX_ANNOTATION_TITLE]
        return shaped


def cut(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """`text` within `limit` characters, saying so when it had to be cut."""
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATED)] + TRUNCATED


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode(errors="ignore")


def _output(
    title: str, summary: str, text: str | None, annotations: Sequence[Annotation]
) -> dict[str, Any]:
    output: dict[str, Any] = {"title": title, "summary": cut(summary)}
    if text is not None:
        output["text"] = cut(text)
    if annotations:
        output["annotations"] = [a.as_json() for a in annotations]
    return output


async def find_check_run(
    gh: GitHubClient, repo: Repo, *, name: str, head_sha: str, app_id: int | None = None
) -> dict[str, Any] | None:
    """The latest run named `name` on the commit (of App `app_id`, when given)."""
    query: dict[str, str | int] = {"check_name": name, "per_page": 1}
    if app_id is not None:
        query["app_id"] = app_id
    found = await gh.getitem(RUNS_FOR_REF_URL, repo.url_vars(sha=head_sha, **query))
    runs = found["check_runs"]
    return dict(runs[0]) if runs else None


def _unchanged(run: dict[str, Any], fields: dict[str, Any], annotations: int) -> bool:
    """The run already says exactly this: a re-run of the job has nothing to write."""
    output = run.get("output") or {}
    wanted = fields["output"]
    return (
        run.get("status") == fields["status"]
        and run.get("conclusion") == fields.get("conclusion")
        and all(output.get(k) == wanted.get(k) for k in ("title", "summary", "text"))
        and output.get("annotations_count") == annotations
    )


async def upsert_check_run(
    gh: GitHubClient,
    repo: Repo,
    *,
    name: str,
    head_sha: str,
    status: str = "completed",
    conclusion: str | None,
    title: str,
    summary: str,
    text: str | None = None,
    annotations: Sequence[Annotation] = (),
    check_run_id: int | None = None,
    app_id: int | None = None,
    find_existing: bool = True,
) -> int:
    """Creates the run, or updates it (by id, else the run of that name found on the commit).

    Requests: a GET to find the run when no id is given (skipped with `find_existing=False`,
    for a caller that knows there is none: the first attempt of its job); one POST or PATCH
    carrying the first 50 annotations; one more PATCH per further 50 (GitHub appends them).
    A found run that already says all this is left as it is. `app_id` (the App's own id)
    keeps another App's run of the same name out of the search.
    """
    if status == "completed" and conclusion is None:
        raise ValueError("a completed check run needs a conclusion")
    fields: dict[str, Any] = {
        "name": name,
        "status": status,
        "output": _output(title, summary, text, annotations[:MAX_ANNOTATIONS]),
    }
    if status == "completed":
        fields["conclusion"] = conclusion
    if check_run_id is None and find_existing:
        found = await find_check_run(gh, repo, name=name, head_sha=head_sha, app_id=app_id)
        if found is not None and _unchanged(found, fields, len(annotations)):
            return int(found["id"])
        check_run_id = int(found["id"]) if found is not None else None
    if check_run_id is None:
        created = await gh.post(
            CHECK_RUNS_URL, repo.url_vars(), data={**fields, "head_sha": head_sha}
        )
        check_run_id = int(created["id"])
    else:
        await gh.patch(CHECK_RUN_URL, repo.url_vars(check_run_id=check_run_id), data=fields)
    for start in range(MAX_ANNOTATIONS, len(annotations), MAX_ANNOTATIONS):
        chunk = annotations[start : start + MAX_ANNOTATIONS]
        more = {"output": _output(title, summary, text, chunk)}
        await gh.patch(CHECK_RUN_URL, repo.url_vars(check_run_id=check_run_id), data=more)
    return check_run_id
