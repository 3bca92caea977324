"""Markdown a model wrote, made safe to post (issue 16, item 12): it mentions no one and closes
no issue, in every form GitHub knows, while links and code stay exactly as written."""

from __future__ import annotations

import pytest

from bot.status.markdown import ZWSP, inline, model_markdown, no_pings


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("Thanks @octocat!", f"Thanks @{ZWSP}octocat!"),
        ("cc @octo-org/reviewers", f"cc @{ZWSP}octo-org/reviewers"),
        ("(@a) and .@b", f"(@{ZWSP}a) and .@{ZWSP}b"),
        ("&#64;octocat &#x40;x &commat;y", f"@{ZWSP}octocat @{ZWSP}x @{ZWSP}y"),
        ("Fixes #7", f"F{ZWSP}ixes #7"),
        ("closes: #7", f"c{ZWSP}loses: #7"),
        ("RESOLVED octo-org/other#3", f"R{ZWSP}ESOLVED octo-org/other#3"),
        ("fix https://github.com/o/r/issues/9", f"f{ZWSP}ix https://github.com/o/r/issues/9"),
        ("Closed GH-4 and closes [#5](u)", f"C{ZWSP}losed GH-4 and c{ZWSP}loses [#5](u)"),
        ("**Fixes** #8", f"**F{ZWSP}ixes** #8"),
        ("Fi&#120;es &#35;6", f"F{ZWSP}ixes &#35;6"),
        ("Duplicate of #2", f"D{ZWSP}uplicate of #2"),
    ],
)
def test_mentions_and_closing_references_are_stopped(text: str, safe: str) -> None:
    assert no_pings(text) == safe
    assert model_markdown(text) == safe


@pytest.mark.parametrize(
    "text",
    [
        "mail me at dev@example.com",
        "prefixes #1, fixing #2, the fix for #3",  # no closing keyword before a reference
        "See #12 and octo-org/other#3.",  # a plain reference closes nothing
        "Links: https://medium.com/@user/post [guide](https://e.com/@u) <https://e.com/@v>",
        "www.example.com/@team",
        "Inline `@decorator fixes #1` and ``a ` @b``.",
        "```python\n@decorator\ndef f():  # fixes #1\n    pass\n```",
        "~~~\n@x Closes #2\n~~~",
        "Example:\n```\n@unclosed fence runs to the end\nFixes #3",
    ],
)
def test_code_and_links_stay_as_written(text: str) -> None:
    assert model_markdown(text) == text


def test_only_what_github_shows_as_code_is_spared() -> None:
    # A backslash makes the backticks literal; a fence inside an HTML block is text there.
    assert model_markdown("\\`@a\\`") == f"\\`@{ZWSP}a\\`"
    html = "<div>\n```\n@octocat\n```\n</div>"
    assert model_markdown(html) == f"<div>\n```\n@{ZWSP}octocat\n```\n</div>"
    assert model_markdown("<div>\n\n```\n@kept\n```") == "<div>\n\n```\n@kept\n```"
    item = "- <div>\n  ```\n  @octocat\n  ```"  # an HTML block in a list item
    assert model_markdown(item) == f"- <div>\n  ```\n  @{ZWSP}octocat\n  ```"
    # A tag is read before code spans: these backticks are an attribute's, not a span's.
    tags = '<b title="`">@octocat<b title="`">'
    assert model_markdown(tags) == f'<b title="`">@{ZWSP}octocat<b title="`">'


def test_hidden_comments_are_shown_so_no_marker_hides_in_model_text() -> None:
    text = "Done. <!-- ai-orchestrator:status:project-1 -->"
    assert model_markdown(text) == "Done. &lt;!-- ai-orchestrator:status:project-1 -->"


def test_stopping_twice_changes_nothing_more() -> None:
    text = "@a Fixes #1 closes o/r#2 `@b` https://e.com/@c"
    once = model_markdown(text)
    assert model_markdown(once) == once
    assert inline(once) == inline(text)


def test_the_status_comment_uses_the_same_rule() -> None:
    assert inline("@octocat fixes #1") == f"@{ZWSP}octocat f{ZWSP}ixes \\#{ZWSP}1"
