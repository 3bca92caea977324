"""Untrusted text made safe to show in a GitHub comment and in a Mermaid diagram.

Phase names, criteria and notes come from models that read the issue, so they may carry HTML,
Markdown links, code fences, @-mentions or Mermaid syntax. Each helper here returns text that
renders as the literal characters and does nothing else: no tags, no links, no pings, no
cross-references, no breaking out of a list item, a fence or a quoted Mermaid label.
"""

from __future__ import annotations

import re
import unicodedata

# Backslash-escaped: the ASCII punctuation that Markdown, GitHub's math and tables give a
# meaning inline (CommonMark allows escaping any ASCII punctuation). Punctuation that acts
# only at the start of a line (`-`, `+`, `1.`) is left alone: the text never starts a line.
_MARKDOWN_SPECIAL = set("\\`*_[]()!|~$")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# A zero-width space after `@` stops a mention, and after `#` an issue cross-reference.
_NO_LINK = {"@": "@\u200b", "#": "\\#\u200b"}
# Kept as they are inside a Mermaid label; everything else becomes an entity code `#<n>;`.
_MERMAID_PLAIN = set(" .,-/+:?!'()")
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?/[A-Za-z0-9._~/%+=&?#-]*")


def one_line(text: str, limit: int) -> str:
    """Whitespace runs (newlines included) as one space, control and invisible formatting
    characters removed, cut to `limit` characters with an ellipsis."""
    spaced = " ".join(text.split())  # before the removal below, which takes newlines too
    collapsed = "".join(char for char in spaced if unicodedata.category(char)[0] != "C")
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1].rstrip() + "…"


def inline(text: str, limit: int = 300) -> str:
    """Untrusted text as inline Markdown that renders literally."""
    out: list[str] = []
    for char in one_line(text, limit):
        if char in _HTML:
            out.append(_HTML[char])
        elif char in _NO_LINK:
            out.append(_NO_LINK[char])
        elif char in _MARKDOWN_SPECIAL:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def code(text: str, limit: int = 100) -> str:
    """Untrusted text as an inline code span (a person's argument echoed back): it cannot
    close the span early, so nothing in it renders, links or mentions."""
    return "`" + one_line(text, limit).replace("`", "'") + "`"


def mermaid_label(text: str, limit: int = 60) -> str:
    """Untrusted text for the inside of a quoted Mermaid label (`P1["…"]`): letters, digits
    and harmless punctuation stay; quotes, brackets, `#`, `;`, `<`, `>`, backticks and the
    rest become Mermaid entity codes, so the label cannot end early or open a statement."""
    return "".join(
        char if char.isalnum() or char in _MERMAID_PLAIN else f"#{ord(char)};"
        for char in one_line(text, limit)
    )


def safe_url(url: str | None) -> str | None:
    """`url` when it is a plain http(s) URL with a path and no character that could end a
    Markdown link (spaces, brackets, quotes, angle brackets), else None."""
    if url is None or not _SAFE_URL.fullmatch(url):
        return None
    return url


def link(text: str, url: str | None) -> str:
    """A Markdown link to a safe `url` with already-safe `text`, or the text alone."""
    target = safe_url(url)
    return f"[{text}]({target})" if target else text
