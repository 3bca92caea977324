"""Options through inheritance on the fake GitHub: the organisation's `.github` defaults, a
repository's own keys over them, `_extends` chains in both forms, cycles and over-long chains
refused with a notice, malformed files named by their origin, missing files read once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.github.client import GitHubClient
from bot.github.repo import Repo
from bot.options import OPTIONS_PATH, PlanApproval, RepoOptions
from bot.options_chain import (
    EXTENDS_CYCLE,
    EXTENDS_INVALID,
    EXTENDS_MISSING,
    EXTENDS_TOO_LONG,
    MAX_CHAIN_FILES,
    OptionsFiles,
    Origin,
    OriginKind,
    ResolvedOptions,
    Source,
    extends_target,
    options_from_snapshot,
    origins_from_snapshot,
    resolve_options,
)
from tests.fakegithub import FakeGitHub
from tests.options_helpers import ORG_FILE, REPO_FILE, put_file, set_org_options
from tests.workflow_helpers import set_options

HOME = Repo("octo-org", "hello-world")
CONTENTS = "/repos/{owner}/{repo}/contents/{path}"
ORG = Origin(kind=OriginKind.ORGANISATION, file=ORG_FILE)
OWN = Origin(kind=OriginKind.REPOSITORY, file=REPO_FILE)


def extended(file: str) -> Origin:
    return Origin(kind=OriginKind.EXTENDS, file=file)


async def resolve(
    fake: FakeGitHub, gh: GitHubClient, files: OptionsFiles | None = None, repo: Repo = HOME
) -> ResolvedOptions:
    found = files or OptionsFiles()
    return await resolve_options(found, gh, fake.installation_id, repo, "main")


def reads_of(fake: FakeGitHub, full_name: str) -> list[int | None]:
    """The statuses of the contents requests made to one repository."""
    prefix = f"/repos/{full_name}/contents/"
    return [r.status for r in fake.requests_to("GET", CONTENTS) if r.path.startswith(prefix)]


async def test_organisation_defaults_apply(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    set_org_options(fake_github, "plan_approval: auto\nbudget_usd: 5\n")
    resolved = await resolve(fake_github, gh)
    assert resolved.options.plan_approval is PlanApproval.AUTO
    assert resolved.options.budget_usd == Decimal("5")
    assert resolved.origins == {"plan_approval": ORG, "budget_usd": ORG}
    assert resolved.files == (ORG,) and resolved.problems == ()


async def test_a_repository_key_overrides_the_organisation_key_by_key(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    set_org_options(
        fake_github,
        "budget_usd: 5\nplan_approval: auto\nforbidden_paths: [secrets/**]\n"
        "ci: {required_checks: [lint], grace_seconds: 10}\n"
        "models: {developer: org-dev, validator: org-val}\n",
    )
    set_options(
        fake_github,
        "budget_usd: 7\nforbidden_paths: [infra/**]\nci: {grace_seconds: 30}\n"
        "models: {developer: repo-dev}\n",
    )
    resolved = await resolve(fake_github, gh)
    options = resolved.options
    assert options.budget_usd == Decimal("7") and options.plan_approval is PlanApproval.AUTO
    assert options.forbidden_paths == ["infra/**"]  # a list replaces the one beneath
    assert (options.ci.required_checks, options.ci.grace_seconds) == (["lint"], 30)
    assert options.models == {"developer": "repo-dev", "validator": "org-val"}
    assert resolved.origins == {
        "budget_usd": OWN,
        "plan_approval": ORG,
        "forbidden_paths": OWN,
        "ci.required_checks": ORG,
        "ci.grace_seconds": OWN,
        "models.developer": OWN,
        "models.validator": ORG,
    }
    assert resolved.files == (OWN, ORG)


async def test_extends_chains_resolve_in_both_forms(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    set_options(fake_github, "_extends: shared\nmax_phases: 20\n")
    put_file(
        fake_github,
        "octo-org/shared",
        OPTIONS_PATH,
        "_extends: octo-org/policies:configs/base.yml\nmax_phases: 9\nmax_revisions: 4\n",
    )
    put_file(
        fake_github, "octo-org/policies", "configs/base.yml", "max_revisions: 1\nbudget_usd: 3"
    )
    set_org_options(fake_github, "budget_usd: 50\nmerge_policy: human\n")
    resolved = await resolve(fake_github, gh)
    shared, base = "octo-org/shared:" + OPTIONS_PATH, "octo-org/policies:configs/base.yml"
    options = resolved.options
    assert (options.max_phases, options.max_revisions) == (20, 4)
    assert options.budget_usd == Decimal("3")  # the repository's chain is above the org's
    assert options.merge_policy.value == "human"
    assert resolved.origins == {
        "max_phases": OWN,
        "max_revisions": extended(shared),
        "budget_usd": extended(base),
        "merge_policy": ORG,
    }
    assert resolved.files == (OWN, extended(shared), extended(base), ORG)
    assert resolved.problems == ()


async def test_the_organisation_file_extends_too(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    set_org_options(fake_github, "_extends: policies:base.yaml\nmax_phases: 6\n")
    put_file(fake_github, "octo-org/policies", "base.yaml", "max_phases: 2\nmax_revisions: 0\n")
    resolved = await resolve(fake_github, gh)
    assert (resolved.options.max_phases, resolved.options.max_revisions) == (6, 0)
    assert resolved.files == (ORG, extended("octo-org/policies:base.yaml"))


async def test_a_cycle_in_extends_is_refused_with_a_clear_notice(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    set_options(fake_github, "_extends: shared\nmax_phases: 20\n")
    put_file(
        fake_github,
        "octo-org/shared",
        OPTIONS_PATH,
        "_extends: octo-org/hello-world\nmax_revisions: 5\n",
    )
    resolved = await resolve(fake_github, gh)
    shared = "octo-org/shared:" + OPTIONS_PATH
    assert resolved.problems == (
        EXTENDS_CYCLE.format(origin=shared, value="octo-org/hello-world", target=REPO_FILE),
    )
    assert "a cycle, so it is not followed" in resolved.problems[0]
    assert (resolved.options.max_phases, resolved.options.max_revisions) == (20, 5)
    assert len(reads_of(fake_github, "octo-org/hello-world")) == 1  # not read a second time


async def test_a_file_extending_itself_is_a_cycle(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    set_options(fake_github, "_extends: hello-world\nmax_phases: 3\n")
    resolved = await resolve(fake_github, gh)
    assert resolved.problems == (
        EXTENDS_CYCLE.format(origin=REPO_FILE, value="hello-world", target=REPO_FILE),
    )
    assert resolved.options.max_phases == 3


async def test_a_chain_stops_at_its_limit(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    set_options(fake_github, "_extends: link-1\n")
    for n in range(1, MAX_CHAIN_FILES + 2):
        put_file(fake_github, f"octo-org/link-{n}", OPTIONS_PATH, f"_extends: link-{n + 1}\n")
    resolved = await resolve(fake_github, gh)
    last = f"octo-org/link-{MAX_CHAIN_FILES - 1}:{OPTIONS_PATH}"
    value = f"link-{MAX_CHAIN_FILES}"
    assert resolved.problems == (
        EXTENDS_TOO_LONG.format(origin=last, value=value, limit=MAX_CHAIN_FILES),
    )
    assert len(resolved.files) == MAX_CHAIN_FILES
    assert reads_of(fake_github, f"octo-org/link-{MAX_CHAIN_FILES}") == []


async def test_a_malformed_organisation_file_names_its_origin(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    set_org_options(fake_github, "plan_approval: [oops\n")
    set_options(fake_github, "max_phases: 4\n")
    resolved = await resolve(fake_github, gh)
    [problem] = resolved.problems
    assert problem.startswith(f"`{ORG_FILE}` is not valid YAML")
    assert problem.endswith("none of its options are used.")
    assert resolved.options.max_phases == 4  # the repository's own keys still hold
    assert resolved.options.plan_approval is PlanApproval.REQUIRED


async def test_a_bad_key_falls_to_the_value_beneath_it(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    set_org_options(fake_github, "max_phases: 20\nbudget_usd: 4\nmax_revisions: -1\n")
    set_options(fake_github, "max_phases: 99\n")
    resolved = await resolve(fake_github, gh)
    assert resolved.options.max_phases == 20  # the repository's bad value: the org's holds
    assert resolved.options.max_revisions == 2  # the org's bad value: the default holds
    assert resolved.options.budget_usd == Decimal("4")
    assert resolved.origins == {"max_phases": ORG, "budget_usd": ORG}
    own, org = resolved.problems
    assert own.startswith(f"`{REPO_FILE}`: `max_phases`") and org.startswith(f"`{ORG_FILE}`: ")
    assert own.endswith("so it is ignored (an inherited value or the default holds).")
    assert resolved.problem == f"{own}\n{org}"


async def test_invalid_and_missing_targets_are_reported(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    set_options(fake_github, "_extends: nowhere\nmax_phases: 3\n")
    set_org_options(fake_github, "_extends: [a, list]\nmax_revisions: 1\n")
    resolved = await resolve(fake_github, gh)
    missing = "octo-org/nowhere:" + OPTIONS_PATH
    assert resolved.problems == (
        EXTENDS_MISSING.format(origin=REPO_FILE, value="nowhere", target=missing),
        EXTENDS_INVALID.format(origin=ORG_FILE, value="['a', 'list']"),
    )
    assert (resolved.options.max_phases, resolved.options.max_revisions) == (3, 1)


async def test_a_missing_github_repository_is_normal_and_read_once(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    files = OptionsFiles()
    first = await resolve(fake_github, gh, files)
    again = await resolve(fake_github, gh, files)
    assert first == again
    assert first.options == RepoOptions() and first.problems == () and first.files == ()
    assert reads_of(fake_github, "octo-org/.github") == [404]  # the 404 is remembered too
    assert reads_of(fake_github, "octo-org/hello-world") == [404]


async def test_an_existing_file_is_read_again_each_time(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    files = OptionsFiles()
    set_org_options(fake_github, "max_phases: 5\n")
    assert (await resolve(fake_github, gh, files)).options.max_phases == 5
    set_org_options(fake_github, "max_phases: 6\n")  # a person raised it: seen at once
    assert (await resolve(fake_github, gh, files)).options.max_phases == 6


async def test_the_github_repository_does_not_inherit_from_itself(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    set_org_options(fake_github, "max_phases: 5\n")
    resolved = await resolve(fake_github, gh, repo=Repo("octo-org", ".github"))
    assert resolved.files == (Origin(kind=OriginKind.REPOSITORY, file=ORG_FILE),)
    assert reads_of(fake_github, "octo-org/.github") == [200]


async def test_extending_the_organisation_file_reads_it_once(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    set_options(fake_github, "_extends: .github\nmax_phases: 3\n")
    set_org_options(fake_github, "max_phases: 5\nmax_revisions: 1\n")
    resolved = await resolve(fake_github, gh)
    assert resolved.files == (OWN, extended(ORG_FILE))
    assert resolved.origins == {"max_phases": OWN, "max_revisions": extended(ORG_FILE)}
    assert reads_of(fake_github, "octo-org/.github") == [200]


async def test_the_snapshot_keeps_values_and_origins(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    set_org_options(fake_github, "budget_usd: 10.10\nci: {grace_seconds: 5}\n")
    resolved = await resolve(fake_github, gh)
    snapshot = resolved.snapshot()
    assert options_from_snapshot(snapshot) == resolved.options
    stored = origins_from_snapshot(snapshot)
    assert stored is not None
    assert stored.options == resolved.origins and tuple(stored.files) == resolved.files
    assert origins_from_snapshot(RepoOptions().model_dump(mode="json")) is None  # older ones


BASE = Source("octo-org", "hello-world")


@pytest.mark.parametrize(
    ("value", "target"),
    [
        ("shared", Source("octo-org", "shared")),
        (".github", Source("octo-org", ".github")),
        ("other-org/shared", Source("other-org", "shared")),
        ("shared:configs/ai.yml", Source("octo-org", "shared", "configs/ai.yml")),
        ("other/shared:ai.yaml", Source("other", "shared", "ai.yaml")),
        (" shared ", Source("octo-org", "shared")),
    ],
)
def test_extends_names_a_file(value: str, target: Source) -> None:
    assert extends_target(value, BASE) == target


@pytest.mark.parametrize(
    "value",
    [3, None, ["shared"], "", "a/b/c", "shared:ai.txt", "shared:../ai.yml", "shared:/ai.yml",
     "-bad/shared", "..", "https://example.com/x.yml", "shared:a b.yml"],
)  # fmt: skip
def test_extends_refuses_what_names_no_file(value: object) -> None:
    assert extends_target(value, BASE) is None
