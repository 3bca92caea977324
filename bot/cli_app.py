"""CLI commands of the running app: serve, web, worker, doctor, db, replay, deliveries."""

from __future__ import annotations

import argparse
from typing import Any

from bot.settings import load_settings
from storage.migrate import upgrade


def _db_upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    upgrade(settings.database_url)
    print("database is at the newest schema")
    return 0


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply Alembic migrations").set_defaults(func=_db_upgrade)
