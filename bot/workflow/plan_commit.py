"""Step 2, the plan file: the integration branch `ai-orchestrator/issue-<n>` is created from the
default branch with `.ai-orchestrator/issue-<n>/plan.yaml` committed on it (one commit, three
writes), and the status comment shows the plan.

A repository without CI gets the app's templated workflow in the same commit (see
`bot.files.ci_workflow`): under `.github/workflows/` when the installation has the `workflows`
permission, else beside the plan, where it does not run and the status comment says how to
turn it on. This is the one place the app writes a workflow; the agents' files still may not.
"""

from __future__ import annotations

from bot.files.ci_workflow import (
    INTEGRATION_BRANCHES,
    can_write_workflows,
    ci_plan,
    has_workflows,
    render_workflow,
    workflow_path,
)
from bot.files.plan_file import plan_path, plan_yaml
from bot.github.git import branch_head, commit_files
from bot.options import PlanApproval
from bot.plugins.events import PlanReady
from bot.status import markdown as md
from bot.status.view import plan_url
from bot.workflow.approval import approve_or_wait
from bot.workflow.context import Flow, integration_branch
from bot.workflow.hooks import tell
from storage.db import transaction
from storage.jobs import Job
from storage.projects import save_project
from storage.states import Marker, MarkerKind, ProjectStep

BEGAN = Marker(MarkerKind.PLAN_FILE)


def project_ref(flow: Flow) -> str:
    project = flow.project
    return f"{project.owner}/{project.repo}#{project.issue_number}"


def plan_text(flow: Flow) -> str:
    project = flow.project
    plan = flow.plan()
    return plan_yaml(
        project_name=project.issue_title,
        project_ref=project_ref(flow),
        created_at=project.created_at,
        architecture=plan.architecture,
        phases=plan.phases,
        features=list(project.plan.get("features") or []),
        template=project.template,
    )


def ci_file(flow: Flow) -> dict[str, str]:
    """The app's CI workflow (path -> text) when the repository has no workflow, the option
    allows one, and the plan's stack has a template; else nothing."""
    project = flow.project
    if not flow.options.ci.generate or has_workflows(project.base_files):
        return {}
    plan = ci_plan(flow.plan().architecture, project.instructions)
    if plan is None:
        return {}
    path = workflow_path(flow.issue, may_write=can_write_workflows(flow.gh.permissions))
    branches = [project.default_branch or "main", INTEGRATION_BRANCHES]
    return {path: render_workflow(plan, project_ref=project_ref(flow), branches=branches)}


async def commit_plan(flow: Flow) -> None:
    """Commits the plan file, creating the branch with the commit. A run that began this
    before (or found work under way) starts from the branch's head, where a commit already
    made leaves nothing to commit."""
    project = flow.project
    branch = integration_branch(flow.issue)
    assert project.base_sha is not None
    parent, exists = project.base_sha, False
    if project.began == BEGAN or project.lookup_first:
        head = await branch_head(flow.gh, flow.repo, branch)
        parent, exists = (head, True) if head is not None else (parent, False)
    else:
        await flow.save(began=BEGAN)
    ci = ci_file(flow)
    commit = await commit_files(
        flow.gh,
        flow.repo,
        branch=branch,
        files={plan_path(flow.issue): plan_text(flow), **ci},
        message=md.no_pings(f"Plan for #{flow.issue}: {project.issue_title}")[:200],
        parent=parent,
        branch_exists=exists,
    )
    async with transaction(flow.deps.sessions) as session:
        flow.project = await save_project(
            session,
            flow.project,
            plan_sha=commit.sha,
            integration_sha=commit.sha,
            integration_tree=commit.tree,
            ci_workflow=next(iter(ci), None),
            began=None,
            step=ProjectStep.PLANNED,
        )
        await tell(
            session,
            flow.deps,
            flow.project,
            PlanReady,
            commit.sha,
            phases=len(flow.plan().phases),
            plan_url=plan_url(flow.project, flow.deps.settings.github_web_url) or "",
            approval_required=flow.options.plan_approval is PlanApproval.REQUIRED,
        )


async def run_plan_file(flow: Flow, job: Job) -> None:
    if flow.project.plan_sha is None:
        await commit_plan(flow)
    await approve_or_wait(flow)
