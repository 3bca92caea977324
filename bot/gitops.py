"""Every GitHub operation the micro-phase workflow needs: idempotent, and cheap in REST calls.

Each function takes the installation client and a `Repo` first. None makes a request per file:
a phase's commit is three writes whatever its size, and known shas are taken as parameters
rather than read again. Re-running any of them after a crash finds what the first run made
(the branch, the commit's tree, the open pull request, the marked review, the named check run)
instead of making it twice. Outcomes the workflow acts on raise `GitOpsError` subclasses; other
gidgethub exceptions propagate.

The operations live by resource in `gitops_git` (branches, files, commits), `gitops_pulls`,
`gitops_reviews` and `gitops_checks`; import them from here.
"""

from bot.gitops_base import (
    BranchMoved,
    EmptyRepository,
    GitOpsError,
    NoCommitsBetween,
    PullNotFound,
    Repo,
)
from bot.gitops_checks import (
    VALIDATOR_CHECK,
    Annotation,
    CIState,
    ci_state,
    find_check_run,
    upsert_check_run,
)
from bot.gitops_git import (
    Branch,
    Commit,
    branch_head,
    commit_files,
    commit_tree,
    default_branch,
    ensure_branch,
    list_paths,
    read_file,
)
from bot.gitops_pulls import (
    ChangedFile,
    MergeOutcome,
    close_pull,
    edit_pull,
    find_pull,
    merge_pull,
    open_pull,
    pull_files,
    update_branch,
)
from bot.gitops_reviews import (
    InlineComment,
    add_reaction,
    commentable_lines,
    find_review,
    post_review,
    reply_to_review_comment,
)

__all__ = [
    "VALIDATOR_CHECK",
    "Annotation",
    "Branch",
    "BranchMoved",
    "CIState",
    "ChangedFile",
    "Commit",
    "EmptyRepository",
    "GitOpsError",
    "InlineComment",
    "MergeOutcome",
    "NoCommitsBetween",
    "PullNotFound",
    "Repo",
    "add_reaction",
    "branch_head",
    "ci_state",
    "close_pull",
    "commentable_lines",
    "commit_files",
    "commit_tree",
    "default_branch",
    "edit_pull",
    "ensure_branch",
    "find_check_run",
    "find_pull",
    "find_review",
    "list_paths",
    "merge_pull",
    "open_pull",
    "post_review",
    "pull_files",
    "read_file",
    "reply_to_review_comment",
    "update_branch",
    "upsert_check_run",
]
