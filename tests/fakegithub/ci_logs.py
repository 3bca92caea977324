"""Job logs shaped like GitHub Actions': what the app's log reading has to clean up.

A real job log starts with a byte-order mark, puts a timestamp with seven decimals at the start
of every line, folds sections into `##[group]` … `##[endgroup]`, marks errors `##[error]`, and
keeps the tools' ANSI colours. `failing_tests` builds the `CIResult` of a pytest run with
failures (log and annotations), for tests that want a realistic red build.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.fakegithub.ci_model import Annotation, CIResult

RED, BOLD, RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"
_ENDINGS = {
    "failure": ["##[error]Process completed with exit code 1."],
    "timed_out": [
        "##[error]The job running on runner GitHub Actions 1000001 has exceeded the maximum "
        "execution time of 360 minutes."
    ],
    "cancelled": ["##[error]The operation was canceled."],
}


def github_annotation(conclusion: str) -> Annotation | None:
    """The annotation GitHub adds itself to a job that did not pass (path `.github`)."""
    ending = _ENDINGS.get(conclusion)
    if ending is None:
        return None
    return Annotation(path=".github", line=1, message=ending[0].removeprefix("##[error]"))


def job_log(job: str, result: CIResult, started: datetime) -> str:
    """The whole log file GitHub serves for the job."""
    if result.raw_log is not None:
        return result.raw_log
    lines = [
        "Current runner version: '2.321.0'",
        "##[group]Operating System",
        "Ubuntu",
        "24.04.1",
        "LTS",
        "##[endgroup]",
        "##[group]Runner Image",
        "Image: ubuntu-24.04",
        "##[endgroup]",
        f"Complete job name: {job}",
        f"##[group]Run {result.command}",
        result.command,
        "shell: /usr/bin/bash -e {0}",
        "##[endgroup]",
        *result.log.splitlines(),
        *_ENDINGS.get(result.conclusion, []),
        "Post job cleanup.",
        "Cleaning up orphan processes",
    ]
    stamped = [f"{_stamp(started, index)} {line}" for index, line in enumerate(lines)]
    return "\ufeff" + "\n".join(stamped) + "\n"


def _stamp(started: datetime, index: int) -> str:
    moment = started + timedelta(milliseconds=137 * index)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"  # seven decimals, as Actions


def _banner(text: str, fill: str = "=") -> str:
    return f" {text} ".center(80, fill)


def failing_tests(
    *failures: tuple[str, int, str, str], passed: int = 2, title: str | None = None
) -> CIResult:
    """A pytest run where each (path, line, test name, message) failed: coloured log, one
    annotation per failure (as a problem matcher would add)."""
    out = [
        f"{BOLD}{_banner('test session starts')}{RESET}",
        "platform linux -- Python 3.12.8, pytest-8.3.4, pluggy-1.5.0",
        f"collected {passed + len(failures)} items",
        "",
    ]
    for path, _, _, _ in failures:
        out.append(f"{path} {'.' * passed}{RED}F{RESET}{' ' * 50}[100%]")
    out.append(f"{RED}{_banner('FAILURES')}{RESET}")
    annotations = []
    for path, line, name, message in failures:
        out += [
            f"{RED}{BOLD}{_banner(name, '_')}{RESET}",
            "",
            f"    def {name}():",
            f">       {message}",
            f"{RED}E       {message}{RESET}",
            "",
            f"{path}:{line}: AssertionError",
        ]
        annotations.append(Annotation(path, line, message, title=f"{path}::{name}"))
    out.append(_banner("short test summary info"))
    out += [f"{RED}FAILED{RESET} {path}::{name} - {message}" for path, _, name, message in failures]
    out.append(f"{RED}{_banner(f'{len(failures)} failed, {passed} passed in 0.12s')}{RESET}")
    return CIResult(
        conclusion="failure",
        title=title,
        annotations=tuple(annotations),
        log="\n".join(out),
    )
