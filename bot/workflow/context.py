"""What one workflow job works with: the project, its GitHub client and repository, its
options, and the agents on the project's budget."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from agents.developer import Developer
from agents.git import Git
from agents.inputs import Brief, Plan
from agents.instructions import Instructions, fit_instructions
from agents.integration import Integration
from agents.manager import Manager
from agents.runtime import AgentRuntime
from agents.schemas import Architecture, MicroPhase
from agents.validator import Validator
from bot.deps import Deps
from bot.files.project_templates import template_brief
from bot.github.client import GitHubClient
from bot.github.comments import AppIdentity, app_identity
from bot.github.repo import Repo
from bot.options import RepoOptions
from bot.options_chain import options_from_snapshot
from bot.workflow.abort import abort_guard
from bot.workflow.budget import budget_hook
from bot.workflow.states import Rules
from storage.db import transaction
from storage.projects import Project, get_project, save_project

LEGACY = "legacy"
MICRO_PHASE = "micro_phase"


def integration_branch(issue_number: int) -> str:
    return f"ai-orchestrator/issue-{issue_number}"


def phase_branch(issue_number: int, phase: int) -> str:
    return f"ai-orchestrator/issue-{issue_number}/phase-{phase}"


def runtime_for(rt: AgentRuntime, models: dict[str, str]) -> AgentRuntime:
    """The runtime with the repository's models per role (same providers)."""
    if not models:
        return rt
    update = {f"agent_{role}_model": model for role, model in models.items()}
    return replace(rt, settings=rt.settings.model_copy(update=update))


@dataclass
class Flow:
    deps: Deps
    project: Project
    gh: GitHubClient
    repo: Repo
    options: RepoOptions
    rt: AgentRuntime

    @property
    def id(self) -> int:
        assert self.project.id is not None
        return self.project.id

    @property
    def issue(self) -> int:
        return self.project.issue_number

    @property
    def legacy(self) -> bool:
        return self.project.workflow == LEGACY

    async def identity(self) -> AppIdentity:
        """The App's identity, to tell its own comments and reviews from anyone's."""
        return await app_identity(self.deps.github)

    @property
    def rules(self) -> Rules:
        """What the transition table looks at: the merge policy and the workflow."""
        return Rules(merge_policy=self.options.merge_policy, legacy=self.legacy)

    def brief(self) -> Brief:
        """The issue as stored when the project started (later edits are not taken in)."""
        template = self.deps.plugins.templates.get(self.project.template or "")
        return Brief(
            title=self.project.issue_title,
            body=self.project.issue_body,
            template=template_brief(template) if template else None,
            instructions=self.instructions(),
        )

    def instructions(self) -> Instructions:
        """The repository's instructions for agents as read at the start: never a phase
        branch's, so a phase cannot change the rules it is judged by."""
        return fit_instructions(self.project.instructions)

    def plan(self) -> Plan:
        stored = self.project.plan
        return Plan(
            architecture=Architecture.model_validate(stored["architecture"]),
            phases=[MicroPhase.model_validate(p) for p in stored["phases"]],
            instructions=self.instructions(),
        )

    def _hook(self) -> Any:
        return budget_hook(self.deps.sessions, self.project, self.options)

    def manager(self) -> Manager:
        return Manager(self.rt, budget=self._hook())

    def developer(self) -> Developer:
        return Developer(self.rt, budget=self._hook())

    def validator(self) -> Validator:
        return Validator(self.rt, budget=self._hook())

    def git(self) -> Git:
        return Git(self.rt, budget=self._hook())

    def integration(self) -> Integration:
        return Integration(self.rt, budget=self._hook())

    async def save(self, **changes: Any) -> Project:
        """Stores `changes` on the project (own transaction) and keeps the copy here current."""
        async with transaction(self.deps.sessions) as session:
            self.project = await save_project(session, self.project, **changes)
        return self.project

    async def reload(self) -> Project:
        async with self.deps.sessions() as session:
            project = await get_project(session, self.id)
        assert project is not None
        self.project = project
        return project


def options_of(project: Project) -> RepoOptions:
    """The options as read when the project started (or last refreshed), origins left out."""
    return options_from_snapshot(project.options) if project.options else RepoOptions()


async def open_flow(deps: Deps, project_id: int, *, guard: bool = True) -> Flow | None:
    """The project's flow; with `guard` (every workflow job) its GitHub writes stop once the
    project is aborted. A slash command's job acts on an aborted project too (`/abort`)."""
    async with deps.sessions() as session:
        project = await get_project(session, project_id)
    if project is None:
        return None
    if deps.agents is None:
        raise RuntimeError("this process has no agents runtime: workflow jobs need one")
    options = options_of(project)
    gh = await deps.github.installation_client(project.installation_id)
    if guard:
        gh = gh.guarded(abort_guard(deps.sessions, project_id))
    return Flow(
        deps,
        project,
        gh,
        Repo(project.owner, project.repo),
        options,
        runtime_for(deps.agents, options.models),
    )
