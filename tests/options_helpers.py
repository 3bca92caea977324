"""Options files on the fake GitHub: the organisation's defaults in its `.github` repository,
and other repositories holding files that `_extends` names."""

from __future__ import annotations

from tests.fakegithub import FakeGitHub

OPTIONS_PATH = ".github/ai-orchestrator.yml"
ORG = "octo-org"
ORG_DEFAULTS = f"{ORG}/.github"
ORG_FILE = f"{ORG_DEFAULTS}:{OPTIONS_PATH}"  # the origin problems and /status name
REPO_FILE = f"{ORG}/hello-world:{OPTIONS_PATH}"


def put_file(fake: FakeGitHub, full_name: str, path: str, text: str) -> None:
    """`path` on the default branch of `full_name`, the repository made when it is new."""
    if full_name.lower() in fake.state.repos:
        fake.commit_files(fake.get_repo(full_name), "main", {path: text}, f"Set {path}")
    else:
        fake.add_repo(full_name, files={path: text})


def set_org_options(fake: FakeGitHub, text: str) -> None:
    put_file(fake, ORG_DEFAULTS, OPTIONS_PATH, text)
