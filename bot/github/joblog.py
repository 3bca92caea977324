"""A GitHub Actions job log made fit for a prompt: timestamps and colour codes stripped, and
only the lines around the failure kept, within a character budget.

Actions prefixes every line with an ISO timestamp and keeps the tools' ANSI colours; neither
helps the developer agent, and both cost tokens. The failure is usually at the end, so the
windows nearest the end are kept first.
"""

from __future__ import annotations

import re

_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?", re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_MARKERS = re.compile(r"^##\[(?:group|endgroup|section|command)\]", re.MULTILINE)
# Lines that say something failed, in the tools CI usually runs.
_FAILURE = re.compile(
    r"##\[error\]|\bERROR\b|\bFAILED\b|\bFAIL\b|Traceback|Error:|error\[|panicked|"
    r"\bfailed\b|AssertionError|npm ERR!|exit code [1-9]",
)
BEFORE, AFTER = 20, 5  # lines of context kept around each failure line
GAP = "…"


def clean(log: str) -> list[str]:
    text = _ANSI.sub("", _TIMESTAMP.sub("", log.replace("\r\n", "\n")))
    return [line.rstrip() for line in _MARKERS.sub("", text).split("\n")]


def _windows(lines: list[str]) -> list[tuple[int, int]]:
    """[start, end) around each failure line, merged where they touch; the tail if none."""
    hits = [i for i, line in enumerate(lines) if _FAILURE.search(line)]
    if not hits:
        return [(max(0, len(lines) - BEFORE - AFTER), len(lines))]
    windows: list[tuple[int, int]] = []
    for hit in hits:
        start, end = max(0, hit - BEFORE), min(len(lines), hit + AFTER + 1)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def excerpt(log: str, *, max_chars: int) -> str:
    """The failure's neighbourhood in `log`, newest windows first kept, within `max_chars`."""
    lines = clean(log)
    kept: list[str] = []
    used = 0
    for start, end in reversed(_windows(lines)):
        block = "\n".join(lines[start:end]).strip("\n")
        if used + len(block) > max_chars:
            if not kept:  # one window over the budget: its end, where the error is
                kept.append(block[-max_chars:])
            break
        kept.append(block)
        used += len(block) + len(GAP) + 2
    return f"\n{GAP}\n".join(reversed(kept))
