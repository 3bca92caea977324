"""The fake GitHub holds the app to GitHub's rules: routes, bodies, auth, git and PR semantics."""

from __future__ import annotations

import base64
from typing import Any

import gidgethub
import httpx2
import pytest
from gidgethub.sansio import accept_format

from bot.github.client import GitHubApp, GitHubClient
from tests.fakegithub import FakeGitHub, FakeGitHubViolation

R = "/repos/{owner}/{repo}"
REPO: dict[str, str | int] = {"owner": "octo-org", "repo": "hello-world"}


async def commit_on_branch(
    gh: GitHubClient, branch: str, files: dict[str, str | None], *, base: str = "main"
) -> str:
    """The app's way to commit: tree on the base's tree, commit, create the branch ref."""
    parent = await gh.getitem(f"{R}/git/ref/{{ref}}", {**REPO, "ref": f"heads/{base}"})
    parent_sha = parent["object"]["sha"]
    commit = await gh.getitem(f"{R}/git/commits/{{sha}}", {**REPO, "sha": parent_sha})
    entries = [
        {
            "path": path,
            "mode": "100644",
            "type": "blob",
            **({"content": text} if text is not None else {"sha": None}),
        }
        for path, text in files.items()
    ]
    tree = await gh.post(
        f"{R}/git/trees", REPO, data={"base_tree": commit["tree"]["sha"], "tree": entries}
    )
    new = await gh.post(
        f"{R}/git/commits",
        REPO,
        data={"message": "Phase", "tree": tree["sha"], "parents": [parent_sha]},
    )
    await gh.post(f"{R}/git/refs", REPO, data={"ref": f"refs/heads/{branch}", "sha": new["sha"]})
    return str(new["sha"])


async def open_pull(gh: GitHubClient, head: str, base: str = "main") -> dict[str, Any]:
    data = {"title": f"Phase {head}", "head": head, "base": base, "body": "Adds things."}
    pull: dict[str, Any] = await gh.post(f"{R}/pulls", REPO, data=data)
    return pull


def events(fake: FakeGitHub) -> list[str]:
    return [f"{name}.{payload.get('action')}" for name, payload in fake.outbox]


# ---- checking requests against GitHub's description -----------------------------------------


async def test_unknown_route_fails_the_test(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    with pytest.raises(FakeGitHubViolation, match="no such route"):
        await gh.getitem(f"{R}/flowers", REPO)
    assert fake_github.violations == [
        "no such route in GitHub's REST API: GET /repos/octo-org/hello-world/flowers"
    ]
    fake_github.violations.clear()  # seen: let the fixture's teardown pass


async def test_wrong_method_fails_the_test(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    with pytest.raises(FakeGitHubViolation, match="method not allowed"):
        await gh.delete(f"{R}/issues/{{n}}", {**REPO, "n": 1})
    assert len(fake_github.violations) == 1  # that one, and nothing else
    fake_github.violations.clear()


async def test_invalid_body_fails_the_test(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    sha = fake_github.branch_sha("main")
    data = {"name": "validator", "head_sha": sha, "conclusion": "great"}
    with pytest.raises(FakeGitHubViolation, match="conclusion: 'great' is not one of"):
        await gh.post(f"{R}/check-runs", REPO, data=data)
    assert len(fake_github.violations) == 1
    assert fake_github.repo.check_runs == {}  # nothing happened
    fake_github.violations.clear()


async def test_unknown_query_parameter_fails_the_test(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    with pytest.raises(FakeGitHubViolation, match="unknown query parameter 'colour'"):
        await gh.getitem(f"{R}/pulls?colour=blue", REPO)
    assert len(fake_github.violations) == 1  # that one, and nothing else
    fake_github.violations.clear()


async def test_request_without_api_version_fails_the_test(fake_github: FakeGitHub) -> None:
    token = fake_github.mint_token(fake_github.installation_id)
    async with fake_github.client() as http:
        with pytest.raises(FakeGitHubViolation, match="X-GitHub-Api-Version"):
            await http.get(
                "/repos/octo-org/hello-world", headers={"authorization": f"token {token}"}
            )
    assert len(fake_github.violations) == 1  # that one, and nothing else
    fake_github.violations.clear()


async def test_an_endpoint_the_fake_lacks_says_so(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    with pytest.raises(FakeGitHubViolation, match="the fake does not answer it"):
        await gh.getitem(f"{R}/releases", REPO)
    assert len(fake_github.violations) == 1  # that one, and nothing else
    fake_github.violations.clear()


# ---- authentication -------------------------------------------------------------------------


async def test_wrong_or_missing_credentials_answer_401(fake_github: FakeGitHub) -> None:
    headers = {"x-github-api-version": "2022-11-28"}
    async with fake_github.client(headers=headers) as http:
        assert (
            await http.get(
                "/repos/octo-org/hello-world", headers={"authorization": "token ghs_wrong"}
            )
        ).status_code == 401
        assert (await http.get("/app")).status_code == 401
        token = fake_github.mint_token(fake_github.installation_id)
        as_token = await http.get("/app", headers={"authorization": f"Bearer {token}"})
        assert as_token.status_code == 401
        assert as_token.json()["message"] == "A JSON web token could not be decoded"


async def test_tokens_expire_after_an_hour(fake_github: FakeGitHub) -> None:
    token = fake_github.mint_token(fake_github.installation_id)
    headers = {"x-github-api-version": "2022-11-28", "authorization": f"token {token}"}
    async with fake_github.client(headers=headers) as http:
        assert (await http.get("/repos/octo-org/hello-world")).status_code == 200
        start = fake_github.clock()
        fake_github.clock = lambda: start + 3601
        assert (await http.get("/repos/octo-org/hello-world")).status_code == 401


async def test_the_app_lists_its_installations(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    found = [i async for i in github_app.app_client().getiter("/app/installations")]
    assert [(i["id"], i["account"]["login"]) for i in found] == [
        (fake_github.installation_id, "octo-org")
    ]
    one = await github_app.app_client().getitem(f"{R}/installation", REPO)
    assert one["id"] == fake_github.installation_id


async def test_a_jwt_from_another_key_is_refused(fake_github: FakeGitHub) -> None:
    from tests.fakegithub.keys import session_key

    impostor = session_key("impostor").private_pem
    async with fake_github.client() as http:
        app = GitHubApp(
            app_id=fake_github.app_id, private_key=impostor, http=http, api_url=fake_github.api_url
        )
        with pytest.raises(gidgethub.BadRequest) as caught:
            await app.app_client().getitem("/app")
    assert caught.value.status_code == 401


async def test_repositories_outside_the_installation_are_404(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    fake_github.add_user("someone-else", type="Organization")
    fake_github.add_repo("someone-else/secret", private=True)
    with pytest.raises(gidgethub.BadRequest) as caught:
        await gh.getitem(R, {"owner": "someone-else", "repo": "secret"})
    assert caught.value.status_code == 404


# ---- issues, comments, reactions, webhooks --------------------------------------------------


async def test_app_comment_emits_event_from_its_bot(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    _, opened = fake_github.person_opens_issue("writer", "Greeting", "Say hello")
    number = opened["issue"]["number"]
    comment = await gh.post(
        f"{R}/issues/{{n}}/comments", {**REPO, "n": number}, data={"body": "planning…"}
    )
    await gh.patch(
        f"{R}/issues/comments/{{id}}", {**REPO, "id": comment["id"]}, data={"body": "planned"}
    )
    assert events(fake_github) == ["issue_comment.created", "issue_comment.edited"]
    (_, created), (_, edited) = fake_github.outbox
    assert created["sender"] == comment["user"]
    assert created["sender"]["login"] == "ai-orchestrator[bot]"
    assert created["sender"]["type"] == "Bot"
    assert created["comment"]["performed_via_github_app"]["slug"] == "ai-orchestrator"
    assert created["installation"]["id"] == fake_github.installation_id
    assert edited["changes"] == {"body": {"from": "planning…"}}
    assert [c.body for c in fake_github.comments_on(number)] == ["planned"]


async def test_reactions_answer_201_then_200(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    fake_github.person_opens_issue("writer", "Greeting")
    _, said = fake_github.person_comments("writer", 1, "/status")
    url_vars = {**REPO, "id": said["comment"]["id"]}
    await gh.post(f"{R}/issues/comments/{{id}}/reactions", url_vars, data={"content": "eyes"})
    await gh.post(f"{R}/issues/comments/{{id}}/reactions", url_vars, data={"content": "eyes"})
    statuses = [
        r.status
        for r in fake_github.requests_to("POST", f"{R}/issues/comments/{{comment_id}}/reactions")
    ]
    assert statuses == [201, 200]
    assert len(fake_github.repo.comments[said["comment"]["id"]].reactions) == 1


async def test_person_labels_issue_and_app_labels(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    fake_github.person_opens_issue("writer", "Greeting")
    event, payload = fake_github.person_labels_issue("writer", 1, "ai-orchestrator")
    assert (event, payload["action"], payload["label"]["name"]) == (
        "issues",
        "labeled",
        "ai-orchestrator",
    )
    assert payload["sender"]["login"] == "writer"
    await gh.post(f"{R}/issues/{{n}}/labels", {**REPO, "n": 1}, data={"labels": ["in-progress"]})
    assert events(fake_github) == ["issues.labeled"]
    assert fake_github.issue(1).labels == ["ai-orchestrator", "in-progress"]


async def test_lists_are_paginated_with_link_headers(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    fake_github.person_opens_issue("writer", "Chatty")
    for n in range(35):
        fake_github.person_comments("writer", 1, f"comment {n}")
    bodies = [c["body"] async for c in gh.getiter(f"{R}/issues/1/comments", REPO)]
    assert bodies == [f"comment {n}" for n in range(35)]
    assert fake_github.calls("GET", f"{R}/issues/{{issue_number}}/comments") == 2


# ---- git data -------------------------------------------------------------------------------


async def test_tree_with_base_tree_keeps_other_files(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    await commit_on_branch(gh, "feature", {"src/app.py": "print('hi')\n"})
    assert fake_github.files("feature") == {
        "README.md": "# Hello, world\n",
        "src/app.py": "print('hi')\n",
    }
    assert fake_github.files("main") == {"README.md": "# Hello, world\n"}
    assert fake_github.repo.git.commits[fake_github.branch_sha("feature") or ""].verified


async def test_tree_without_base_tree_holds_only_its_files(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    entries = [{"path": "only.txt", "mode": "100644", "type": "blob", "content": "alone\n"}]
    tree = await gh.post(f"{R}/git/trees", REPO, data={"tree": entries})
    assert [item["path"] for item in tree["tree"]] == ["only.txt"]
    parent = fake_github.branch_sha("main")
    commit = await gh.post(
        f"{R}/git/commits", REPO, data={"message": "Only", "tree": tree["sha"], "parents": [parent]}
    )
    await gh.post(f"{R}/git/refs", REPO, data={"ref": "refs/heads/only", "sha": commit["sha"]})
    assert fake_github.files("only") == {"only.txt": "alone\n"}  # README gone


async def test_null_sha_deletes_a_file(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    await commit_on_branch(gh, "cleanup", {"README.md": None, "NOTES.md": "notes\n"})
    assert fake_github.files("cleanup") == {"NOTES.md": "notes\n"}


async def test_tree_shas_are_git_shas(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    entries = [{"path": "hello.txt", "mode": "100644", "type": "blob", "content": "hello\n"}]
    tree = await gh.post(f"{R}/git/trees", REPO, data={"tree": entries})
    # `printf 'hello\n' > hello.txt && git add hello.txt && git write-tree`
    assert tree["sha"] == "aaa96ced2d9a1c8e72c56b253a0e2fe78393feb7"
    assert tree["tree"][0]["sha"] == "ce013625030ba8dba906f756967f9e9ca394464a"


async def test_refs_refuse_duplicates_and_non_fast_forwards(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    first = await commit_on_branch(gh, "phase-1", {"a.txt": "a\n"})
    main = fake_github.branch_sha("main")
    with pytest.raises(gidgethub.BadRequest) as caught:
        await gh.post(f"{R}/git/refs", REPO, data={"ref": "refs/heads/phase-1", "sha": main})
    assert caught.value.status_code == 422 and "Reference already exists" in str(caught.value)
    ref = {**REPO, "ref": "heads/phase-1"}
    with pytest.raises(gidgethub.BadRequest, match="not a fast forward"):
        await gh.patch(f"{R}/git/refs/{{ref}}", ref, data={"sha": main, "force": False})
    await gh.patch(f"{R}/git/refs/{{ref}}", ref, data={"sha": main, "force": True})
    assert fake_github.branch_sha("phase-1") == main != first


async def test_contents_api_serves_base64_files(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    await commit_on_branch(gh, "docs", {"docs/plan.yaml": "phases: 3\n"})
    found = await gh.getitem(f"{R}/contents/{{+path}}?ref=docs", {**REPO, "path": "docs/plan.yaml"})
    assert base64.b64decode(found["content"]).decode() == "phases: 3\n"
    with pytest.raises(gidgethub.BadRequest) as caught:
        await gh.getitem(
            f"{R}/contents/{{+path}}", {**REPO, "path": "docs/plan.yaml"}
        )  # not on main
    assert caught.value.status_code == 404


# ---- pull requests, reviews, checks ---------------------------------------------------------


async def test_pull_request_rules(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    await commit_on_branch(gh, "phase-1", {"a.txt": "a\n"})
    pull = await open_pull(gh, "phase-1")
    assert events(fake_github) == ["pull_request.opened"]
    with pytest.raises(gidgethub.BadRequest, match="already exists"):
        await open_pull(gh, "phase-1")
    await gh.post(
        f"{R}/git/refs",
        REPO,
        data={"ref": "refs/heads/empty", "sha": fake_github.branch_sha("main")},
    )
    with pytest.raises(gidgethub.BadRequest, match="No commits between"):
        await open_pull(gh, "empty")
    found = [p async for p in gh.getiter(f"{R}/pulls?head=octo-org:phase-1&state=open", REPO)]
    assert [p["number"] for p in found] == [pull["number"]]
    files = await gh.getitem(f"{R}/pulls/{{n}}/files", {**REPO, "n": pull["number"]})
    assert [(f["filename"], f["status"], f["additions"]) for f in files] == [("a.txt", "added", 1)]
    diff = await gh.getitem(
        f"{R}/pulls/{{n}}",
        {**REPO, "n": pull["number"]},
        accept=accept_format(media="diff", json=False),
    )
    assert diff == "diff --git a/a.txt b/a.txt\n--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1 @@\n+a\n"


async def test_the_app_cannot_approve_its_own_pull_request(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    await commit_on_branch(gh, "phase-1", {"a.txt": "one\ntwo\nthree\n"})
    pull = await open_pull(gh, "phase-1")
    url_vars = {**REPO, "n": pull["number"]}
    with pytest.raises(gidgethub.BadRequest) as caught:
        await gh.post(f"{R}/pulls/{{n}}/reviews", url_vars, data={"event": "APPROVE", "body": "ok"})
    assert caught.value.status_code == 422
    assert "Can not approve your own pull request" in str(caught.value)
    comment = {"path": "a.txt", "line": 2, "side": "RIGHT", "body": "Name this better."}
    review = await gh.post(
        f"{R}/pulls/{{n}}/reviews",
        url_vars,
        data={"event": "COMMENT", "body": "Looks fine.", "comments": [comment]},
    )
    assert review["state"] == "COMMENTED"
    assert events(fake_github)[-2:] == [
        "pull_request_review.submitted",
        "pull_request_review_comment.created",
    ]
    outside = {**comment, "path": "README.md"}
    with pytest.raises(gidgethub.BadRequest, match="path could not be resolved"):
        await gh.post(
            f"{R}/pulls/{{n}}/reviews",
            url_vars,
            data={"event": "COMMENT", "body": "x", "comments": [outside]},
        )


async def test_merge_guards_and_merge(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    first = await commit_on_branch(gh, "phase-1", {"a.txt": "a\n"})
    pull = await open_pull(gh, "phase-1")
    url_vars = {**REPO, "n": pull["number"]}
    fake_github.person_pushes("writer", "phase-1", {"b.txt": "b\n"})
    with pytest.raises(gidgethub.BadRequest) as caught:
        await gh.put(f"{R}/pulls/{{n}}/merge", url_vars, data={"sha": first})
    assert caught.value.status_code == 409
    head = fake_github.branch_sha("phase-1")
    merged = await gh.put(
        f"{R}/pulls/{{n}}/merge", url_vars, data={"sha": head, "merge_method": "squash"}
    )
    assert merged["merged"] is True
    assert fake_github.files("main") == {
        "README.md": "# Hello, world\n",
        "a.txt": "a\n",
        "b.txt": "b\n",
    }
    assert fake_github.pull(pull["number"]).merged
    name, payload = fake_github.outbox[-1]
    assert (name, payload["action"], payload["pull_request"]["merged"]) == (
        "pull_request",
        "closed",
        True,
    )


async def test_conflicting_pull_request_is_unmergeable(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    await commit_on_branch(gh, "phase-1", {"README.md": "# Mine\n"})
    pull = await open_pull(gh, "phase-1")
    fake_github.person_pushes("octocat", "main", {"README.md": "# Theirs\n"})
    got = await gh.getitem(f"{R}/pulls/{{n}}", {**REPO, "n": pull["number"]})
    assert (got["mergeable"], got["mergeable_state"]) == (False, "dirty")
    with pytest.raises(gidgethub.BadRequest) as caught:
        await gh.put(f"{R}/pulls/{{n}}/merge", {**REPO, "n": pull["number"]}, data={})
    assert caught.value.status_code == 405


async def test_update_branch_answers_202_and_synchronizes(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    head = await commit_on_branch(gh, "phase-1", {"a.txt": "a\n"})
    pull = await open_pull(gh, "phase-1")
    fake_github.person_pushes("octocat", "main", {"c.txt": "c\n"})
    await gh.put(
        f"{R}/pulls/{{n}}/update-branch",
        {**REPO, "n": pull["number"]},
        data={"expected_head_sha": head},
    )
    assert fake_github.requests[-1].status == 202
    assert fake_github.file("c.txt", "phase-1") == "c\n"
    assert events(fake_github)[-1] == "pull_request.synchronize"


async def test_check_runs(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    sha = fake_github.branch_sha("main")
    run = await gh.post(
        f"{R}/check-runs",
        REPO,
        data={"name": "ai-orchestrator/validator", "head_sha": sha, "status": "in_progress"},
    )
    annotation = {
        "path": "README.md",
        "start_line": 1,
        "end_line": 1,
        "annotation_level": "warning",
        "message": "m",
    }
    output = {"title": "Validator", "summary": "Failed", "annotations": [annotation] * 2}
    await gh.patch(
        f"{R}/check-runs/{{id}}",
        {**REPO, "id": run["id"]},
        data={"conclusion": "failure", "output": output},
    )
    listed = await gh.getitem(f"{R}/commits/{{ref}}/check-runs", {**REPO, "ref": "main"})
    assert [(r["name"], r["conclusion"]) for r in listed["check_runs"]] == [
        ("ai-orchestrator/validator", "failure")
    ]
    assert listed["check_runs"][0]["output"]["annotations_count"] == 2
    assert events(fake_github) == [
        "check_run.created",
        "check_run.completed",
        "check_suite.completed",  # its only run completed
    ]
    too_many = {**output, "annotations": [annotation] * 51}
    with pytest.raises(FakeGitHubViolation, match="annotations"):
        await gh.patch(
            f"{R}/check-runs/{{id}}", {**REPO, "id": run["id"]}, data={"output": too_many}
        )
    assert len(fake_github.violations) == 1  # that one, and nothing else
    fake_github.violations.clear()


# ---- people ---------------------------------------------------------------------------------


async def test_people_review_push_and_merge(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    await commit_on_branch(gh, "phase-1", {"a.txt": "one\n"})
    pull = await open_pull(gh, "phase-1")
    number = pull["number"]
    reviewed = fake_github.person_reviews(
        "octocat",
        number,
        "REQUEST_CHANGES",
        "Please fix",
        comments=[{"path": "a.txt", "line": 1, "body": "Why one?"}],
    )
    assert [(e, p["action"]) for e, p in reviewed] == [
        ("pull_request_review", "submitted"),
        ("pull_request_review_comment", "created"),
    ]
    assert reviewed[0][1]["review"]["state"] == "changes_requested"  # lower case in webhooks
    pushed = fake_github.person_pushes("writer", "phase-1", {"a.txt": "two\n"})
    ci = fake_github.ci_reports(pushed[0][1]["after"], "success")
    assert [(e, p["action"]) for e, p in ci] == [
        ("check_run", "created"),
        ("check_run", "completed"),
        ("check_suite", "completed"),
    ]
    assert ci[2][1]["check_suite"]["pull_requests"][0]["number"] == number
    assert [(e, p["action"], p["after"]) for e, p in pushed] == [
        ("pull_request", "synchronize", fake_github.branch_sha("phase-1"))
    ]
    name, merged = fake_github.person_merges("octocat", number)
    assert (
        name,
        merged["action"],
        merged["pull_request"]["merged"],
        merged["sender"]["login"],
    ) == ("pull_request", "closed", True, "octocat")
    assert fake_github.file("a.txt") == "two\n"
    assert events(fake_github) == [
        "pull_request.opened"
    ]  # people's events are returned, not queued


async def test_manifest_codes_convert_once(fake_github: FakeGitHub) -> None:
    code = fake_github.register_manifest_code(
        manifest={"name": "Orchestrator Test", "default_events": ["issues"]}
    )
    async with fake_github.client(headers={"x-github-api-version": "2022-11-28"}) as http:
        first = await http.post(f"/app-manifests/{code}/conversions")
        again = await http.post(f"/app-manifests/{code}/conversions")
        unknown = await http.post("/app-manifests/nope/conversions")
    assert first.status_code == 201
    body = first.json()
    assert {"id", "slug", "client_id", "client_secret", "webhook_secret", "pem", "html_url"} <= set(
        body
    )
    assert body["events"] == ["issues"]
    assert (again.status_code, unknown.status_code) == (404, 404)
    async with fake_github.client() as http:  # the new App can authenticate with its key
        new_app = GitHubApp(
            app_id=body["id"], private_key=body["pem"], http=http, api_url=fake_github.api_url
        )
        assert (await new_app.app_client().getitem("/app"))["slug"] == "orchestrator-test"


def test_recorded_requests_carry_what_was_sent(fake_github: FakeGitHub) -> None:
    transport = fake_github.transport
    token = fake_github.mint_token(fake_github.installation_id)
    with httpx2.Client(transport=transport, base_url=fake_github.api_url) as http:
        http.post(
            "/repos/octo-org/hello-world/issues",
            json={"title": "From a test"},
            headers={"authorization": f"token {token}", "x-github-api-version": "2022-11-28"},
        )
    recorded = fake_github.requests[-1]
    assert (recorded.method, recorded.template, recorded.json, recorded.status) == (
        "POST",
        "/repos/{owner}/{repo}/issues",
        {"title": "From a test"},
        201,
    )
    assert fake_github.calls("POST", "/repos/{owner}/{repo}/issues") == 1


async def test_installation_events_follow_the_fakes_state(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    fake_github.add_user("acme", type="Organization")
    fake_github.add_repo("acme/widgets")
    fake_github.add_repo("acme/gadgets")
    installation, (name, created) = fake_github.person_installs_app(
        "octocat", "acme", repositories=["widgets"]
    )
    assert (name, created["action"]) == ("installation", "created")
    assert [r["full_name"] for r in created["repositories"]] == ["acme/widgets"]
    _, added = fake_github.person_changes_installed_repos(
        "octocat", installation.id, add=["gadgets"]
    )
    assert [r["full_name"] for r in added["repositories_added"]] == ["acme/gadgets"]
    gh = await github_app.installation_client(installation.id)
    assert (await gh.getitem(R, {"owner": "acme", "repo": "gadgets"}))[
        "id"
    ] == fake_github.get_repo("acme/gadgets").id
    _, suspended = fake_github.person_suspends_app("octocat", installation.id)
    assert suspended["installation"]["suspended_at"] is not None
    with pytest.raises(gidgethub.BadRequest) as caught:
        await gh.getitem(R, {"owner": "acme", "repo": "widgets"})
    assert caught.value.status_code == 403
    _, deleted = fake_github.person_uninstalls_app("octocat", installation.id)
    assert deleted["action"] == "deleted"
    with pytest.raises(gidgethub.BadRequest) as caught:
        await github_app.app_client().getitem(f"/app/installations/{installation.id}")
    assert caught.value.status_code == 404


async def test_compare_close_replies_and_statuses(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    head = await commit_on_branch(gh, "phase-2", {"b.txt": "b\n"})
    compared = await gh.getitem(f"{R}/compare/{{basehead}}", {**REPO, "basehead": "main...phase-2"})
    assert (compared["status"], compared["ahead_by"], compared["behind_by"]) == ("ahead", 1, 0)
    assert [f["filename"] for f in compared["files"]] == ["b.txt"]
    pull = await open_pull(gh, "phase-2")
    url_vars = {**REPO, "n": pull["number"]}
    [_, (_, commented)] = fake_github.person_comments_on_line(
        "octocat", pull["number"], "b.txt", 1, "Why b?"
    )
    assert commented["review"]["state"] == "commented"
    parent = fake_github.repo.review_comments[max(fake_github.repo.review_comments)]
    reply = await gh.post(
        f"{R}/pulls/{{n}}/comments/{{id}}/replies",
        {**url_vars, "id": parent.id},
        data={"body": "Because."},
    )
    assert (reply["in_reply_to_id"], reply["path"], reply["line"]) == (parent.id, "b.txt", 1)
    await gh.post(
        f"{R}/statuses/{{sha}}", {**REPO, "sha": head}, data={"state": "pending", "context": "bot"}
    )
    await gh.post(
        f"{R}/statuses/{{sha}}", {**REPO, "sha": head}, data={"state": "success", "context": "bot"}
    )
    combined = await gh.getitem(f"{R}/commits/{{ref}}/status", {**REPO, "ref": "phase-2"})
    assert (combined["state"], combined["total_count"]) == ("success", 1)
    closed = await gh.patch(f"{R}/pulls/{{n}}", url_vars, data={"state": "closed"})
    assert (closed["state"], closed["merged"]) == ("closed", False)
    assert events(fake_github)[-3:] == [
        "pull_request_review_comment.created",
        "pull_request_review.submitted",
        "pull_request.closed",
    ]
