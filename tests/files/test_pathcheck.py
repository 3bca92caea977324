"""Every file path the agents give is checked before anything is committed."""

from __future__ import annotations

import pytest

from bot.files.pathcheck import (
    ABSOLUTE,
    APP_FILES,
    BACKSLASH,
    BAD_SEGMENT,
    CONTROL,
    DOT_DOT,
    DRIVE,
    DUPLICATE,
    EMPTY,
    FORBIDDEN,
    GIT_DIR,
    NOT_TEXT,
    TOO_BIG,
    TOO_MANY,
    WORKFLOW,
    check_files,
    matches_pattern,
    normalize,
)
from bot.options import RepoOptions

DEFAULTS = RepoOptions()


def problem(template: str, path: str) -> str:
    return template.format(path=repr(path))


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("", EMPTY),
        ("a/../../etc/passwd", DOT_DOT),
        ("..", DOT_DOT),
        ("../x", DOT_DOT),
        ("src/..", DOT_DOT),
        ("./../x", DOT_DOT),
        ("/abs", ABSOLUTE),
        ("/etc/passwd", ABSOLUTE),
        ("~/x", ABSOLUTE),
        ("~root/.ssh/authorized_keys", ABSOLUTE),
        ("C:\\x", BACKSLASH),
        ("a\\b", BACKSLASH),
        ("..\\..\\x", BACKSLASH),
        ("C:/x", DRIVE),
        ("c:x", DRIVE),
        ("a//b", BAD_SEGMENT),
        ("a/./b", BAD_SEGMENT),
        ("a/", BAD_SEGMENT),
        (".", BAD_SEGMENT),
        ("./", BAD_SEGMENT),
        ("a\x00b", CONTROL),
        ("a\nb", CONTROL),
        ("a\tb", CONTROL),
        ("a\x7fb", CONTROL),
        ("evil\u202etxt.exe", CONTROL),  # right-to-left override
        (".g\u200cit/config", CONTROL),  # zero-width non-joiner, ignored by macOS
        ("a\u2028b", CONTROL),  # line separator
        (".git", GIT_DIR),
        (".git/config", GIT_DIR),
        (".GIT/config", GIT_DIR),
        (".Git/hooks/pre-commit", GIT_DIR),
        ("vendor/lib/.git/config", GIT_DIR),
        (".git./config", GIT_DIR),
        (".git /config", GIT_DIR),
        ("GIT~1/config", GIT_DIR),
        (".ai-orchestrator/issue-1/plan.yaml", APP_FILES),
        (".AI-Orchestrator/x", APP_FILES),
        (".ai-orchestrator", APP_FILES),
        (".github/workflows/x.yml", WORKFLOW),
        ("./.github/workflows/ci.yaml", WORKFLOW),
        (".GitHub/Workflows/x.yml", WORKFLOW),
        (".github/workflows", WORKFLOW),
    ],
)
def test_hostile_paths_are_refused(path: str, template: str) -> None:
    assert check_files({path: "x"}, DEFAULTS) == [problem(template, path)]


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "src/app/main.py",
        "./src/app/main.py",
        ".github/dependabot.yml",
        ".github/workflows-notes.md",
        ".gitignore",
        ".github/CODEOWNERS",
        "docs/.git-blame-ignore-revs",
        "git/config",
        "a..b/c...d",
        "src/ünïcödé/名前.py",
        # Fullwidth full stops look like `..` but are an ordinary name to git and GitHub.
        "\uff0e\uff0e/\uff0e\uff0e/etc/passwd",
        "notes:2024.md",
        "with space/file name.txt",
    ],
)
def test_ordinary_paths_pass(path: str) -> None:
    assert check_files({path: "content"}, DEFAULTS) == []


def test_workflow_files_when_the_repository_allows_them() -> None:
    options = RepoOptions(allow_workflow_files=True)
    assert check_files({".github/workflows/ci.yml": "on: push"}, options) == []
    assert check_files({".git/hooks/x": ""}, options) == [problem(GIT_DIR, ".git/hooks/x")]


def test_forbidden_patterns() -> None:
    options = RepoOptions(forbidden_paths=["secrets/**", "*.pem", "/config/prod.yml"])
    files: dict[str, str | None] = {
        "secrets/api/key.txt": "x",
        "deploy/certs/server.pem": "x",
        "config/prod.yml": "x",
        "app/config/prod.yml": "x",
        "app/secrets.py": "x",
    }
    assert check_files(files, options) == [
        FORBIDDEN.format(path="'secrets/api/key.txt'", pattern="'secrets/**'"),
        FORBIDDEN.format(path="'deploy/certs/server.pem'", pattern="'*.pem'"),
        FORBIDDEN.format(path="'config/prod.yml'", pattern="'/config/prod.yml'"),
    ]


@pytest.mark.parametrize(
    ("path", "pattern", "matches"),
    [
        ("a/b.pem", "*.pem", True),
        ("b.pem", "*.pem", True),
        ("a/b.pem.txt", "*.pem", False),
        ("secrets/x/y.txt", "secrets", True),
        ("app/secrets/y.txt", "secrets", True),
        ("app/secrets.py", "secrets", False),
        ("secrets/a", "/secrets", True),
        ("src/secrets/a", "/secrets", False),
        ("secrets/a", "secrets/", True),
        ("config/x.yml", "config/*.yml", True),
        ("config/deep/x.yml", "config/*.yml", False),
        ("a/c.txt", "a/**/c.txt", True),
        ("a/b/d/c.txt", "a/**/c.txt", True),
        ("x/a/c.txt", "a/**/c.txt", False),
        ("anything/at/all", "**", True),
        ("infra/prod/main.tf", "infra/**", True),
        ("infra", "infra/**", False),
        ("file1.txt", "file?.txt", True),
        ("file12.txt", "file?.txt", False),
        ("a/b", "a?b", False),
        ("ab.txt", "[!a]b.txt", False),
        ("bb.txt", "[!a]b.txt", True),
        ("cb.txt", "[a-c]b.txt", True),
        ("db.txt", "[a-c]b.txt", False),
        ("].txt", "[]].txt", True),
        ("[.txt", "[.txt", True),
        ("^.txt", "[^].txt", True),
        ("a.txt", "[^].txt", False),
        ("a+b(c).txt", "a+b(c).txt", True),
        ("A.PEM", "*.pem", False),
    ],
)
def test_pattern_semantics(path: str, pattern: str, matches: bool) -> None:
    assert matches_pattern(path, pattern) is matches


def test_file_count_limit() -> None:
    options = RepoOptions(max_files_per_phase=2)
    files: dict[str, str | None] = {"a": "", "b": "", "c": ""}
    assert check_files(files, options) == [TOO_MANY.format(count=3, limit=2)]
    assert check_files({"a": "", "b": ""}, options) == []


def test_size_limit_counts_utf8_bytes() -> None:
    options = RepoOptions(max_file_bytes=10)
    assert check_files({"a.txt": "x" * 10}, options) == []
    # Six characters, twelve bytes.
    assert check_files({"b.txt": "éééééé"}, options) == [
        TOO_BIG.format(path="'b.txt'", size=12, limit=10)
    ]


def test_a_deletion_has_no_size_but_is_still_checked() -> None:
    options = RepoOptions(max_file_bytes=1)
    assert check_files({"old.py": None}, options) == []
    assert check_files({".git/config": None}, options) == [problem(GIT_DIR, ".git/config")]


def test_content_that_cannot_be_utf8() -> None:
    assert check_files({"a.txt": "lone \ud800 surrogate"}, DEFAULTS) == [problem(NOT_TEXT, "a.txt")]


def test_the_same_file_twice() -> None:
    files: dict[str, str | None] = {"src/a.py": "1", "./src/a.py": "2"}
    assert check_files(files, DEFAULTS) == [problem(DUPLICATE, "./src/a.py")]


def test_every_bad_file_is_reported_count_first() -> None:
    options = RepoOptions(max_files_per_phase=2)
    files: dict[str, str | None] = {"ok.py": "", "/abs": "", ".git/x": ""}
    assert check_files(files, options) == [
        TOO_MANY.format(count=3, limit=2),
        problem(ABSOLUTE, "/abs"),
        problem(GIT_DIR, ".git/x"),
    ]


def test_problems_show_hidden_characters_and_stay_short() -> None:
    [line] = check_files({"a\x00b": ""}, DEFAULTS)
    assert line.startswith("'a\\x00b':")
    [long_line] = check_files({"/" + "x" * 5000: ""}, DEFAULTS)
    assert len(long_line) < 300
    assert "\n" not in long_line


@pytest.mark.parametrize(
    ("path", "normal"),
    [("./a.py", "a.py"), ("././a/b", "a/b"), ("a/./b", "a/./b"), ("a.py", "a.py"), ("./", "")],
)
def test_normalize(path: str, normal: str) -> None:
    assert normalize(path) == normal
