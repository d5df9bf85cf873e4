"""Does /export/factories.csv stream in constant memory? A measurement, not a test.

For each size: loads `portal demo --factories N` into a temporary SQLite file, starts the app
with uvicorn in a subprocess (`portal serve`), warms it up with a small export, then streams the
whole export twice and prints the server's resident memory (VmRSS) and peak (VmHWM, from
/proc: Linux only) before and after, with rows per second. Flat peaks across sizes mean the
export does not hold the list in memory.

    .venv/bin/python bench/export_memory.py --factories 2000 20000
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PORTAL = Path(sys.executable).with_name("portal")


def memory_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stream(url: str) -> tuple[int, int, float]:
    """Rows, bytes and seconds of one download, read 64 KiB at a time (the client keeps nothing)."""
    started = time.perf_counter()
    lines = size = 0
    with urllib.request.urlopen(url, timeout=600) as response:
        assert response.status == 200, response.status
        while chunk := response.read(65536):
            lines += chunk.count(b"\n")
            size += len(chunk)
    return lines - 1, size, time.perf_counter() - started


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not come up")


def measure(factories: int, workdir: Path) -> dict:
    database = workdir / f"demo-{factories}.db"
    env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    started = time.perf_counter()
    subprocess.run(
        [PORTAL, "demo", "--factories", str(factories)], env=env, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    load_seconds = time.perf_counter() - started

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [PORTAL, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_up(base, server)
        # Warm-up: imports, the connection pool and caches fill on the first requests, whatever the size.
        stream(f"{base}/export/factories.csv?country=HT")
        before = memory_kib(server.pid)
        runs = [stream(f"{base}/export/factories.csv") for _ in range(2)]
        after = memory_kib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows, size, seconds = runs[-1]
    return {
        "factories": factories, "load_s": load_seconds, "rows": rows, "mib": size / 2**20, "seconds": seconds,
        "rows_per_s": rows / seconds, "before": before, "after": after,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factories", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="export-memory-"))
    try:
        results = [measure(n, workdir) for n in args.factories]
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"{'factories':>9} {'load s':>7} {'rows':>7} {'MiB':>6} {'export s':>8} {'rows/s':>8} "
        f"{'RSS before':>11} {'peak before':>12} {'RSS after':>10} {'peak after':>11} {'peak growth':>12}"
    )
    for r in results:
        b, a = r["before"], r["after"]
        print(
            f"{r['factories']:>9} {r['load_s']:>7.1f} {r['rows']:>7} {r['mib']:>6.1f} {r['seconds']:>8.2f} "
            f"{r['rows_per_s']:>8.0f} {b['VmRSS'] / 1024:>9.1f}Mi {b['VmHWM'] / 1024:>10.1f}Mi "
            f"{a['VmRSS'] / 1024:>8.1f}Mi {a['VmHWM'] / 1024:>9.1f}Mi {(a['VmHWM'] - b['VmHWM']) / 1024:>10.1f}Mi"
        )


if __name__ == "__main__":
    main()
