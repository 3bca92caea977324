"""The `ai-orchestrator` command: one sub-command module per concern registers its commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import agents as cli_agents
from bot.cli import app as cli_app
from bot.cli import audit as cli_audit
from bot.settings import SettingsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ai-orchestrator",
        description="A GitHub App in which AI agents turn labelled issues into reviewed PRs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_app.register(commands)
    cli_agents.register(commands)
    cli_audit.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv`, run the command, and turn a settings problem into one line on stderr."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except SettingsError as exc:
        print(f"ai-orchestrator: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
