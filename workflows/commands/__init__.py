"""The `portal` command's subcommands (cli.py parses and dispatches): each takes the parsed
arguments and the settings, calls its use-case, prints what it returns, and gives the exit
status. One module a group: `users`, `webhooks`, `attachments`, `backups`, `records` (import
and demo).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys

from ...config import Settings
from ...domain.errors import PortalError
from ...storage.migrate import migrated


def on_database(settings: Settings, work=None):
    """`work(sessions)`'s result, on the database brought to the latest schema first."""

    async def run():
        async with migrated(settings.database_url) as sessions:
            return None if work is None else await work(sessions)

    return asyncio.run(run())


def refusals(name: str):
    """A command whose refusal (a PortalError) is printed as `portal NAME: why` and ends it with
    status 1."""

    def wrap(command):
        @functools.wraps(command)
        def run(args: argparse.Namespace, settings: Settings) -> int:
            try:
                return command(args, settings)
            except PortalError as error:
                print(f"portal {name}: {error.message}", file=sys.stderr)
                return 1

        return run

    return wrap
