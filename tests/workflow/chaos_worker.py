"""Real worker processes, started in milliseconds, for the chaos test to kill with SIGKILL.

Importing the app takes seconds; the chaos test kills a worker dozens of times. So this process
imports the app once, then forks a child for each `fork` line on its stdin and prints the
child's pid. Each child runs `ai-orchestrator worker` itself (`bot.cli.main.main`), from its
settings in the environment, as the Procfile's `worker` line does. Nothing has started when it
forks (no event loop, thread, connection or file of the app's), so each child is a fresh worker.

    python -m tests.workflow.chaos_worker      # prints "ready", then a pid per "fork"
"""

from __future__ import annotations

import os
import signal
import sys

# Imported before forking: what makes a child start at once.
import bot.cli.app
import bot.deps  # noqa: F401
from bot.cli.main import main as cli


def _child() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.dup2(2, 1)  # the child's output goes to the log; stdout is the pid channel
    os.setpgid(0, 0)  # its own group: killing it leaves this process alone
    code = 1
    try:
        code = cli(["worker"])
    finally:
        os._exit(code)


def run() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # dead children are reaped by the kernel
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "fork":
            break
        pid = os.fork()
        if pid == 0:
            _child()
        print(pid, flush=True)


if __name__ == "__main__":
    run()
