"""The `ai-orchestrator` command: one sub-command module per concern registers its commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import agents as cli_agents
from bot.cli import app as cli_app
from bot.cli import audit as cli_audit
from bot.cli import cost as cli_cost
from bot.cli import docs as cli_docs
from bot.cli import metrics as cli_metrics
from bot.cli import plugins as cli_plugins
from bot.cli import projects as cli_projects
from bot.cli import prune as cli_prune
from bot.cli.database import SchemaNotReady
from bot.settings import SettingsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ai-orchestrator",
        description="A GitHub App in which AI agents turn labelled issues into reviewed PRs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_app.register(commands)
    cli_agents.register(commands)
    cli_cost.register(commands)
    cli_docs.register(commands)
    cli_projects.register(commands)
    cli_metrics.register(commands)
    cli_audit.register(commands)
    cli_prune.register(commands)
    cli_plugins.register(commands)
    return parser


# Exit codes: 0 done; 1 ran, and found nothing or a check failed; 2 a bad setting or usage
# (argparse's own code); 3 the database is not at this release's schema.
EXIT_BAD_SETTING = 2
EXIT_SCHEMA = 3


def _fail(exc: Exception, code: int) -> int:
    for line in str(exc).splitlines():  # a pre-flight reports every bad setting, one per line
        print(f"ai-orchestrator: {line}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv`, run the command, and turn a settings or schema problem into one line on
    stderr each, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except SettingsError as exc:
        return _fail(exc, EXIT_BAD_SETTING)
    except SchemaNotReady as exc:
        return _fail(exc, EXIT_SCHEMA)
    return code


if __name__ == "__main__":
    sys.exit(main())
