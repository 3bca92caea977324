"""Reading the structure of a Markdown file the repository wrote (AGENTS.md and the like):
its sections by heading, the list items and the code of a section.

Line-based and forgiving, as CommonMark is for these constructs: ATX headings (`## Title`,
any level) and setext headings (a line underlined with `===` or `---`); nothing inside a
fenced code block is a heading or an item, so a shell comment (`# install`) is never taken
for a title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?(.*\S)\s*$")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")


@dataclass(frozen=True)
class Section:
    """A heading and the lines under it, up to the next heading of the same or a higher
    level (so its sub-sections belong to it)."""

    title: str
    level: int
    body: tuple[str, ...]


@dataclass(frozen=True)
class CodeBlock:
    language: str
    lines: tuple[str, ...]


def _is_paragraph(line: str) -> bool:
    return bool(line.strip()) and not (
        _ATX.match(line) or _ITEM.match(line) or _FENCE.match(line) or _SETEXT.match(line)
    )


def _closes(line: str, fence: str) -> bool:
    """Whether `line` ends the block that `fence` opened: the same character, at least as
    many, and no info string."""
    found = _FENCE.match(line)
    if found is None:
        return False
    return found[1][0] == fence[0] and len(found[1]) >= len(fence) and not found[2]


def _outside_fences(lines: Sequence[str]) -> Iterator[tuple[int, str]]:
    """(index, line) of every line that is not part of a fenced code block."""
    fence: str | None = None
    for index, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence is not None:
            fence = None if _closes(line, fence) else fence
        elif opened:
            fence = opened[1]
        else:
            yield index, line


def _headings(lines: Sequence[str]) -> list[tuple[int, int, str, int]]:
    """(first line, level, title, first body line) of each heading."""
    found: list[tuple[int, int, str, int]] = []
    previous: tuple[int, str] | None = None
    for index, line in _outside_fences(lines):
        atx = _ATX.match(line)
        underline = _SETEXT.match(line)
        if atx:
            found.append((index, len(atx[1]), (atx[2] or "").strip(), index + 1))
        elif underline and previous and previous[0] == index - 1 and _is_paragraph(previous[1]):
            level = 1 if underline[1][0] == "=" else 2
            found.append((index - 1, level, previous[1].strip(), index + 1))
        previous = (index, line)
    return found


def sections(text: str) -> list[Section]:
    """Every section of `text`, in order; nested sections appear inside their parents too."""
    lines = text.splitlines()
    heads = _headings(lines)
    found = []
    for number, (_, level, title, body_start) in enumerate(heads):
        later = (first for first, lvl, _, _ in heads[number + 1 :] if lvl <= level)
        end = next(later, len(lines))
        found.append(Section(title, level, tuple(lines[body_start:end])))
    return found


def title_key(title: str) -> str:
    """A heading compared without case, emphasis, punctuation or extra spaces."""
    words = re.sub(r"[^\w\s]", " ", title.lower())
    return " ".join(words.split())


def list_items(body: Sequence[str]) -> list[str]:
    """The list items of a section (nested ones too), each on one line; an indented line
    after an item continues it. Checkbox marks (`[ ]`) are dropped."""
    items: list[str] = []
    continues = False
    for _, line in _outside_fences(body):
        item = _ITEM.match(line)
        if item:
            items.append(item[1])
            continues = True
        elif continues and line.strip() and line[:1].isspace():
            items[-1] += " " + line.strip()
        else:
            continues = False
    return items


def code_blocks(body: Sequence[str]) -> list[CodeBlock]:
    """The fenced code blocks of a section, with their info string's first word."""
    blocks: list[CodeBlock] = []
    fence: str | None = None
    language, lines = "", list[str]()
    for line in body:
        opened = _FENCE.match(line)
        if fence is None:
            if opened:
                fence, language, lines = opened[1], opened[2].lower(), []
        elif _closes(line, fence):
            blocks.append(CodeBlock(language, tuple(lines)))
            fence = None
        else:
            lines.append(line)
    return blocks


def inline_code(body: Sequence[str]) -> list[str]:
    """The inline code spans of a section's text (outside fenced blocks), in order."""
    spans: list[str] = []
    for _, line in _outside_fences(body):
        spans += [match[2].strip() for match in _INLINE_CODE.finditer(line)]
    return [span for span in spans if span]
