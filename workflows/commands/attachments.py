"""`portal attachments sweep|check`: the attachment store against the rows (workflows/attachments/sweep.py)."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from ...config import Settings
from . import on_database, refusals


@refusals("attachments sweep")
def sweep(args: argparse.Namespace, settings: Settings) -> int:
    from ..attachments.sweep import sweep_store

    if args.older_than_minutes < 0:
        print("portal attachments sweep: --older-than-minutes must not be negative", file=sys.stderr)
        return 2
    older_than = timedelta(minutes=args.older_than_minutes)
    removed = on_database(settings, lambda sessions: sweep_store(sessions, settings.attachments_url, older_than=older_than))
    for key in removed:
        print(f"removed {key}")
    print(f"{len(removed)} file(s) no attachment refers to removed from {settings.attachments_url}")
    return 0


@refusals("attachments check")
def check(_args: argparse.Namespace, settings: Settings) -> int:
    from ..attachments.sweep import check_store

    missing = on_database(settings, lambda sessions: check_store(sessions, settings.attachments_url))
    for key in missing:
        print(f"missing {key}")
    print(f"{len(missing)} file(s) that attachments refer to are missing from {settings.attachments_url}")
    return 1 if missing else 0
