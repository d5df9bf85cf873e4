#!/usr/bin/env python3
"""The benchmark of issue 7: the real server beside its ceiling, under wrk, on loopback.

    make bench                                   # full run: SQLite 1,700 and 20,000; PostgreSQL 1,700 with 1 and 2 workers
    .venv/bin/python bench/run.py --quick        # smoke run: 200 factories, 1 s runs, 1 repeat, SQLite only
    .venv/bin/python bench/run.py --no-postgres  # SQLite only
    .venv/bin/python bench/run.py --sizes 1700 --duration 10 --repeats 5

What it does, for each data size (and backend):

1. Demo data: `portal demo --factories N --seed S --as-of D` into a SQLite file under the cache
   folder (default `bench/.cache/`), reused while the seed, size, date and the demo generator's
   source are the same (`--fresh` rebuilds). Each run works on a copy, since the run writes
   (users, responses, uploads). With `--postgres` (the default but for `--quick`),
   `tests/support/postgres_server.py` starts a throwaway PostgreSQL and the demo is loaded into it
   for every size of `--postgres-sizes` (1,700), served with each `--workers` count (1 and 2).
2. The project: `portal serve --no-access-log` (uvicorn; no access log, as the ceiling) in a
   subprocess with `PORTAL_RATE_LIMIT=0`, `PORTAL_RATE_LIMIT_POINTS=0` and `PORTAL_RESPONSES_PER_DAY=0`;
   ready once `/healthz` answers 200.
3. Set-up through the API: real edge cursors (walking the whole list), a public factory and
   its current assessment, the issue most factories are non-compliant on; a moderator and a
   supplier (`portal users add`), and a few responses submitted by the supplier so the queue
   is not empty.
4. The ceiling (`bench/ceiling.py`): the project is asked once per distinct request (with the
   very bytes wrk sends: no Accept, Accept-Encoding or User-Agent header) and a bare
   ASGI app (uvicorn, as many workers as the project, no access log) answers each case with those very bytes. For
   the random-page case one page is recorded for every size 51-100 (each after a random
   cursor) and the ceiling answers a request with the recorded page of the size it asks for.
5. Load: wrk, `-t2 -c16 -d5s` by default, project and ceiling interleaved (their order
   alternating), `--repeats` times (3); every case sends its request from a generated Lua
   script whose `done()` prints the figures as JSON. Medians are reported; the ratio is the
   project's median requests/s over the ceiling's. wrk counts only requests that finish
   within the run, so a project run of a slow case is stretched (about three requests per
   connection, at most `--max-duration`, 60 s; the "s/run" column), and after each project
   run the script waits until the server has worked off what was left in flight.
6. Warm-up and memory: before the runs the whole list is walked once with the measured selection
   (a server that has served its list, as the ceiling is measured warm; the walk's time is in
   the memory table, a `--quick` run walks 2 pages). VmRSS of the server process and its workers
   (/proc/PID/status, summed) after it, and its peak (VmHWM, summed) after the load.
7. SQL statements per request: the app in-process (httpx ASGITransport) with a SQLAlchemy
   `before_cursor_execute` listener (BEGIN not counted); each case's request is sent twice and
   both are counted ("first / again": the second shows what the project's caches save).
8. Import: the demo documents of the largest size generated in memory, then timed through
   `import_document` into a fresh SQLite file: findings per second (every finding of every
   document, corrections included).

The cases:
- list:   `factories(first: 100)` with each factory's latest assessment and all its findings,
          the same body every request.
- random: the same selection after a random edge cursor with a random `first` of 51-100, drawn
          per request by wrk's Lua (seeded per thread from /dev/urandom: every run differs).
- detail: `factory(id:)` with its latest assessment, every finding and its issue.
- issue:  `factories(first: 100, filter: {nonCompliantOn: [one issue]})`.
- queue:  a moderator's `moderationQueue(first: 20)` (bearer token).
- upload: `submitResponse` with a 1 MB JPEG (Pillow), one multipart body built once; every
          request writes a response, so its runs are short (`--upload-duration`).

Targets (issue 7) are printed beside the figures as "met" / "not met"; nothing is asserted.
wrk is installed from Debian's packages when missing and we run as root; otherwise the script
stops and says how to install it. Only the standard library, httpx and the project are used.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from demo import DEFAULT_SEED, demo_postgres, demo_sqlite
from measuring import ensure_wrk, measure_import
from processes import BENCH, STARTED, load_postgres_server_module, say, stop_all_children
from report import fmt_size, report
from target import Target, bench_target


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The benchmark of issue 7 (see the module docstring).")
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 factories, 1 s runs, 1 repeat, no 20,000")
    parser.add_argument("--sizes", help="comma-separated factory counts (default 1700,20000; quick: 200)")
    parser.add_argument("--duration", help="seconds per wrk run (default 5; quick: 1); '5s' works too")
    parser.add_argument("--max-duration", type=int, help="longest a slow case's run is stretched to (default 60; quick: 2)")
    parser.add_argument("--upload-duration", type=int, default=2, help="seconds per submitResponse run (default 2)")
    parser.add_argument("--repeats", type=int, help="project/ceiling pairs per case (default 3; quick: 1)")
    parser.add_argument("--threads", type=int, help="wrk -t (default 2; quick: 1)")
    parser.add_argument("--connections", type=int, help="wrk -c (default 16; quick: 2)")
    parser.add_argument("--postgres", action=argparse.BooleanOptionalAction, default=None,
                        help="also on a throwaway PostgreSQL server (default: yes, but not with --quick)")
    parser.add_argument("--postgres-sizes", help="comma-separated factory counts on PostgreSQL (default 1700)")
    parser.add_argument("--workers", default="1,2", help="on PostgreSQL, `portal serve --workers` for each row (default 1,2)")
    parser.add_argument("--no-sqlite", action="store_true", help="with --postgres: PostgreSQL only")
    parser.add_argument("--no-import", action="store_true", help="skip the import measurement")
    parser.add_argument("--import-size", type=int, help="factories of the import measurement (default: the largest size)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="the demo's 'today' (default: today)")
    parser.add_argument("--cache-dir", type=Path, default=BENCH / ".cache", help="demo databases (default bench/.cache)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached demo databases")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, recordings, Lua scripts)")
    opts = parser.parse_args(argv)
    quick = opts.quick
    opts.sizes = [int(s.replace("_", "")) for s in opts.sizes.split(",")] if opts.sizes else ([200] if quick else [1700, 20000])
    opts.postgres = (not quick) if opts.postgres is None else opts.postgres
    opts.postgres_sizes = [int(s.replace("_", "")) for s in opts.postgres_sizes.split(",")] if opts.postgres_sizes else [1700]
    opts.workers = [int(w) for w in opts.workers.split(",")]
    raw = opts.duration or ("1" if quick else "5")
    match = re.fullmatch(r"(\d+)\s*s?", raw.strip())
    if not match or int(match.group(1)) < 1:
        parser.error(f"--duration: whole seconds, e.g. 5 or 5s, not {raw!r}")
    opts.duration = int(match.group(1))
    if quick:
        opts.upload_duration = min(opts.upload_duration, 1)
    opts.threads = opts.threads or (1 if quick else 2)
    opts.connections = max(opts.connections or (2 if quick else 16), opts.threads)
    opts.max_duration = max(opts.max_duration or (2 if quick else 60), opts.duration)
    opts.repeats = opts.repeats or (1 if quick else 3)
    # The random-page case's recordings for the ceiling: every size 51-100; a few in quick runs.
    opts.random_sizes = [51, 63, 75, 88, 100] if quick else list(range(51, 101))
    opts.warmup = 2  # pages of the warm-up in a quick run (else the whole list)
    opts.as_of = opts.as_of or date.today()
    opts.cache_dir = opts.cache_dir.resolve()
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    wrk = ensure_wrk()
    say(f"wrk: {wrk}; sizes {opts.sizes}; {opts.repeats} repeat(s) of {opts.duration} s; "
        f"-t{opts.threads} -c{opts.connections}")
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    targets: list[Target] = []
    imported = None
    try:
        if not opts.no_sqlite:
            for size in opts.sizes:
                cached = demo_sqlite(size, opts)
                copy = workdir / f"sqlite-{size}.db"
                shutil.copyfile(cached, copy)
                target = Target(f"sqlite {fmt_size(size)}", "sqlite", size)
                bench_target(target, f"sqlite+aiosqlite:///{copy}", opts, wrk, workdir)
                targets.append(target)
                copy.unlink()
        if opts.postgres:
            postgres_server = load_postgres_server_module()
            with postgres_server.running_postgres() as url:
                for size in opts.postgres_sizes:
                    demo_postgres(url, size, opts, workdir)
                    for workers in opts.workers:
                        label = f"postgresql {fmt_size(size)}" + (f", {workers} workers" if workers > 1 else "")
                        target = Target(label, "postgresql", size, workers)
                        bench_target(target, url, opts, wrk, workdir)
                        targets.append(target)
        if not opts.no_import:
            imported = asyncio.run(measure_import(opts.import_size or max(opts.sizes), opts, workdir))
    finally:
        stop_all_children()
        if opts.keep:
            say(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    text, _ = report(targets, imported, opts, time.monotonic() - STARTED)
    print(text, flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        stop_all_children()
        sys.exit(130)
