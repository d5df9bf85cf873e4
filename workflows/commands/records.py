"""`portal import FILE...` (workflows/import_document.py) and `portal demo` (workflows/demo.py)."""

from __future__ import annotations

import argparse
import sys

from ...config import Settings
from . import on_database


def import_files(args: argparse.Namespace, settings: Settings) -> int:
    from ..import_document import ImportRejected, import_file_bytes

    async def run(sessions) -> int:
        for path in args.files:
            try:
                raw = path.read_bytes()
            except OSError as error:
                print(f"{path}: cannot read: {error.strerror}", file=sys.stderr)
                return 2
            try:
                summary = await import_file_bytes(
                    sessions, raw, source=str(path), actor=args.actor or settings.actor,
                    correction_reason=args.correction_reason, dry_run=args.dry_run, progress=sys.stderr.isatty(),
                )  # fmt: skip
            except ImportRejected as rejected:
                print(f"{path}: rejected, nothing was written:", file=sys.stderr)
                for problem in rejected.problems:
                    print(f"  {problem}", file=sys.stderr)
                return 1
            print(f"{path}: {summary}")
        return 0

    return on_database(settings, run)


def demo(args: argparse.Namespace, settings: Settings) -> int:
    from ..demo import load_demo

    print(on_database(settings, lambda sessions: load_demo(
        sessions, factories=args.factories, seed=args.seed, as_of=args.as_of, only_if_empty=args.if_empty, progress=True
    )))  # fmt: skip
    return 0
