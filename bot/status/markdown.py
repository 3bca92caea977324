"""Untrusted text made safe to show in a GitHub comment and in a Mermaid diagram.

Phase names, criteria and notes come from models that read the issue, so they may carry HTML,
Markdown links, code fences, @-mentions or Mermaid syntax. `inline`, `code` and
`mermaid_label` return text that renders as the literal characters and does nothing else: no
tags, no links, no pings, no cross-references, no breaking out of a list item, a fence or a
quoted Mermaid label.

`model_markdown` is for whole Markdown a model wrote (a pull request's body, release notes, a
review comment, a reply): it renders as written, links and code included, but mentions no one
and closes nothing when posted. `no_pings` is the one rule both use: a zero-width space after
`@` stops a mention of a person or a team, and one inside a closing keyword followed by a
reference (`Fixes #7`, `closes owner/repo#3`, `Resolves: <issue URL>`, `fixed GH-4`) stops the
close. GitHub acts on neither inside code spans, fenced blocks or links, so those stay as they
are (and a decorator in a code block stays copyable).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# Backslash-escaped: the ASCII punctuation that Markdown, GitHub's math and tables give a
# meaning inline (CommonMark allows escaping any ASCII punctuation). Punctuation that acts
# only at the start of a line (`-`, `+`, `1.`) is left alone: the text never starts a line.
_MARKDOWN_SPECIAL = set("\\`*_[]()!|~$")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
ZWSP = "\u200b"
# After `#`, a zero-width space stops an issue cross-reference (the status comment has none).
_NO_LINK = {"#": "\\#" + ZWSP}
# GitHub's closing keywords, and `duplicate of`, which marks an issue a duplicate; the hash
# and the `@` also as character references, which render as the same characters.
_KEYWORD = r"close[sd]?|fix(?:e[sd])?|resolve[sd]?|duplicate\s+of"
_HASH = r"(?:#|&#0*35;|&#x0*23;|&num;)"
_REFERENCE = rf"(?:{_HASH}\d|[\w.-]+/[\w.-]+{_HASH}\d|gh-\d|<?https?://|www\.)"
_CLOSING = re.compile(rf"(?<![A-Za-z0-9_])({_KEYWORD})(?=[\s:*_~\[(]*{_REFERENCE})", re.IGNORECASE)
_MENTION = re.compile(r"(?<![A-Za-z0-9_])(?:@|&#0*64;|&#x0*40;|&commat;)(?=[A-Za-z0-9])", re.I)
# Letters and digits written as character references (`Fi&#120;es`), read as they render.
_CHARACTER_REFERENCE = re.compile(r"&#(x[0-9a-f]{1,6}|[0-9]{1,7});", re.IGNORECASE)
# What GitHub leaves alone in Markdown: a code span on one line (not after a backslash,
# which makes its backticks literal), an autolink, a bare or `www.` URL, a link's target.
_KEPT = re.compile(
    r"(?<![\\`])(`+)(?!`).+?(?<!`)\1(?!`)"
    r"|<https?://[^\s>]*>|https?://[^\s<>]*|www\.[^\s<>]*|\]\([^)\s]*\)"
)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
# An HTML tag is read before code spans: a backtick inside one opens none.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
# A line that may start an HTML block, in a list item or a quote too (taken broadly: a fence
# under one is then treated as text, which only costs a zero-width space).
_HTML_START = re.compile(r"^[\s>*+\-0-9.)]*<[A-Za-z/!?]")
# Kept as they are inside a Mermaid label; everything else becomes an entity code `#<n>;`.
_MERMAID_PLAIN = set(" .,-/+:?!'()")
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?/[A-Za-z0-9._~/%+=&?#-]*")


def one_line(text: str, limit: int) -> str:
    """Whitespace runs (newlines included) as one space, control and invisible formatting
    characters removed, cut to `limit` characters with an ellipsis."""
    spaced = " ".join(text.split())  # before the removal below, which takes newlines too
    collapsed = "".join(char for char in spaced if unicodedata.category(char)[0] != "C")
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1].rstrip() + "…"


def _alphanumeric(found: re.Match[str]) -> str:
    """A character reference to an ASCII letter or digit as that character; others as they
    are (they may be Markdown punctuation written so on purpose)."""
    number = found[1]
    value = int(number[1:], 16) if number[0] in "xX" else int(number)
    char = chr(value) if value < 0x110000 else ""
    return char if char.isascii() and char.isalnum() else found[0]


def _stop_closing(found: re.Match[str]) -> str:
    return found[1][0] + ZWSP + found[1][1:]


def no_pings(text: str) -> str:
    """`text` with its mentions and closing references stopped (see the module's notes)."""
    text = _CHARACTER_REFERENCE.sub(_alphanumeric, text)
    text = _MENTION.sub("@" + ZWSP, text)
    return _CLOSING.sub(_stop_closing, text)


def _kept_spans(line: str) -> list[tuple[int, int]]:
    """Where `line`'s code spans and links are, backticks inside HTML tags ignored."""
    masked = _TAG.sub(lambda tag: tag[0].replace("`", " "), line)  # the same length
    return [found.span() for found in _KEPT.finditer(masked)]


def _in_prose(line: str, change: Callable[[str], str]) -> str:
    """`line` with `change` made to its text outside code spans and links."""
    out, start = [], 0
    for begin, end in _kept_spans(line):
        out += [change(line[start:begin]), line[begin:end]]
        start = end
    return "".join([*out, change(line[start:])])


def _prose(line: str) -> str:
    """`no_pings` for a line outside code blocks, sparing its code spans and links (a closing
    keyword is still seen before a link: `Resolves <issue URL>`), and no HTML comment: it
    would hide a marker, or text a reader would not see."""
    line = _in_prose(line, lambda text: _CHARACTER_REFERENCE.sub(_alphanumeric, text))
    kept = _kept_spans(line)

    def stop(found: re.Match[str]) -> str:
        inside = any(start <= found.start() < end for start, end in kept)
        return found[0] if inside else _stop_closing(found)

    line = _CLOSING.sub(stop, line)
    return _in_prose(line, lambda text: _MENTION.sub("@" + ZWSP, text).replace("<!--", "&lt;!--"))


def _opens_fence(line: str) -> str | None:
    found = _FENCE.match(line)
    if found is None or (found[1][0] == "`" and "`" in found[2]):
        return None  # a backtick fence's info string has no backtick
    return found[1]


def _closes_fence(line: str, fence: str) -> bool:
    """The same character, at least as many, and nothing after it."""
    found = _FENCE.match(line)
    if found is None or found[2].strip():
        return False
    return found[1][0] == fence[0] and len(found[1]) >= len(fence)


def model_markdown(text: str) -> str:
    """Markdown a model wrote, safe to post: as written, but pinging no one and closing
    nothing. Fenced blocks are code unless inside an HTML block (which a blank line ends),
    where GitHub shows their lines as text; an unclosed fence runs to the end, as on GitHub."""
    out: list[str] = []
    fence: str | None = None
    in_html = False
    for line in text.split("\n"):
        if fence is not None:
            fence = None if _closes_fence(line, fence) else fence
            out.append(line)
            continue
        fence = None if in_html else _opens_fence(line)
        in_html = bool(line.strip()) and (in_html or bool(_HTML_START.match(line)))
        out.append(line if fence is not None else _prose(line))
    return "\n".join(out)


def inline(text: str, limit: int = 300) -> str:
    """Untrusted text as inline Markdown that renders literally."""
    out: list[str] = []
    for char in no_pings(one_line(text, limit)):
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
