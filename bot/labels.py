"""The labels the app keeps on every repository it is installed on, and the job that makes them.

When the App is installed on a repository (`installation.created`, repositories added), one
job per repository creates what is missing of: the trigger label (the app's TRIGGER_LABEL; a
repository's own `trigger_label` option is its owner's to create) and one `template:<name>`
label per project template. A repository that refuses is logged once and left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.deps import Deps
from bot.files.project_templates import TEMPLATE_LABEL_PREFIX, TEMPLATES, ProjectTemplate
from bot.github.labels import Label, LabelsRefused, ensure_repo_labels
from bot.github.repo import Repo
from bot.logcontext import log_context
from storage.jobs import Job, NewJob, enqueue_many

log = logging.getLogger(__name__)

ENSURE_LABELS = "ensure_labels"
TRIGGER_COLOR = "5319e7"
TEMPLATE_COLOR = "d4c5f9"
TRIGGER_DESCRIPTION = "AI Orchestrator plans this issue, then codes it in small reviewed PRs"
TEMPLATE_DESCRIPTION = "With {trigger}: plan from the {title} template"
LABELS_REFUSED = "labels not created in %s: GitHub answered %d %s (the app works without them)"
DESCRIPTION_LIMIT = 100  # GitHub's limit on a label's description


def app_labels(
    trigger_label: str, templates: Mapping[str, ProjectTemplate] = TEMPLATES
) -> list[Label]:
    """The trigger label first, then the template labels, in the templates' order (the
    built-in ones, then those the plugins add)."""
    labels = [Label(trigger_label, TRIGGER_COLOR, TRIGGER_DESCRIPTION)]
    for template in templates.values():
        text = TEMPLATE_DESCRIPTION.format(trigger=trigger_label, title=template.title)
        name = TEMPLATE_LABEL_PREFIX + template.name
        labels.append(Label(name, TEMPLATE_COLOR, text[:DESCRIPTION_LIMIT]))
    return labels


async def queue_label_jobs(
    session: AsyncSession,
    *,
    installation_id: int,
    repositories: Iterable[dict[str, Any]] | None,
    delivery_id: str | None,
) -> int:
    """One job per repository of a webhook's list, in the caller's transaction; keyed by the
    delivery, so a re-run of the delivery's job queues none twice. Returns how many are new."""
    names = sorted({str(repo["full_name"]) for repo in repositories or [] if "full_name" in repo})
    jobs = [
        NewJob(
            kind=ENSURE_LABELS,
            args={"installation_id": installation_id, "repository": name},
            dedupe_key=f"{ENSURE_LABELS}:{delivery_id}:{name}"[:255] if delivery_id else None,
        )
        for name in names
    ]
    return await enqueue_many(session, jobs) if jobs else 0


async def run_ensure_labels(job: Job, deps: Any) -> None:
    """Creates the repository's missing labels; a refusal is logged once, not retried."""
    assert isinstance(deps, Deps)
    installation_id = int(job.args["installation_id"])
    repo = Repo.parse(str(job.args["repository"]))
    labels = app_labels(deps.settings.trigger_label, deps.plugins.templates)
    with log_context(installation_id=installation_id, repository=repo.full_name):
        try:
            created = await ensure_repo_labels(deps.github, installation_id, repo, labels)
        except LabelsRefused as exc:
            log.warning(LABELS_REFUSED, repo.full_name, exc.status, exc.reason)
            return
        if created:
            log.info("created labels %s in %s", ", ".join(created), repo.full_name)
