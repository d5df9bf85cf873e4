"""How much memory does cleaning images take, N uploads at once? A measurement, not a test.

Each case runs in a fresh Python process that reads N image files, notes its resident memory
(VmRSS), cleans the N files concurrently through the real path (`clean_in_turn`, the
process-wide pool of `at_once` decoding threads that `submit_response` uses), and prints its
peak (VmHWM, from /proc: Linux only) above that starting point, with the wall time. The images
are solid colours, so they are small files; decoding costs what their pixel count costs.

Cases: the largest PNG accepted (4096 x 4096 RGBA: 64 MiB decoded), with the pool's default
size and then with one thread per file (what the bound saves); the 250 KB, 7745 x 7745 RGBA PNG
of issue 10 (refused from its header); a 48-megapixel JPEG (decoded at half size); a PDF just
under the object limit (34,000 tiny objects reached from its page).

    .venv/bin/python bench/decode_memory.py --files 6
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from transparency_portal.config import Settings
from transparency_portal.workflows.attachments import AttachmentRefused, clean_in_turn

MIB = 1024 * 1024


def memory_kib() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def make_images(folder: Path) -> dict[str, Path]:
    Image.MAX_IMAGE_PIXELS = None  # the bench makes them; the cleaner keeps its own limit
    cases = {
        "png-4096-rgba": ("RGBA", (4096, 4096), "PNG", (20, 120, 200, 255)),
        "png-7745-rgba": ("RGBA", (7745, 7745), "PNG", (20, 200, 30, 255)),
        "jpeg-8000x6000": ("RGB", (8000, 6000), "JPEG", (200, 120, 20)),
    }
    paths = {}
    for name, (mode, size, fmt, colour) in cases.items():
        path = folder / f"{name}.{fmt.lower()}"
        Image.new(mode, size, colour).save(path, fmt)
        paths[name] = path
    paths["pdf-34000-objects"] = folder / "objects.pdf"
    paths["pdf-34000-objects"].write_bytes(many_objects_pdf(34_000))
    return paths


def many_objects_pdf(count: int) -> bytes:
    # The tests' maker of such PDFs (as bench/run.py borrows tests/support/postgres_server.py).
    path = Path(__file__).resolve().parents[1] / "tests" / "support" / "pdfs.py"
    spec = importlib.util.spec_from_file_location("bench_pdfs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.many_objects_pdf(count)


async def clean_all(paths: list[Path], at_once: int) -> list[str]:
    async def one(path: Path) -> str:
        try:
            cleaned = await clean_in_turn(path.read_bytes(), path.name, at_once=at_once)
        except AttachmentRefused as refused:
            return f"refused ({refused.reason})"
        if cleaned.content_type == "application/pdf":
            return "kept"
        with Image.open(io.BytesIO(cleaned.content)) as img:
            return f"kept {img.size[0]}x{img.size[1]}"

    return await asyncio.gather(*(one(p) for p in paths))


def child(path: Path, files: int, at_once: int) -> None:
    """Runs in its own process: clean `files` copies of `path`, at most `at_once` at a time."""
    copies = [path] * files
    before = memory_kib()["VmRSS"]
    started = time.perf_counter()
    outcomes = asyncio.run(clean_all(copies, at_once))
    seconds = time.perf_counter() - started
    peak = memory_kib()["VmHWM"]
    print(json.dumps({"before_kib": before, "peak_kib": peak, "seconds": seconds, "outcomes": sorted(set(outcomes))}))


def run_case(path: Path, files: int, at_once: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--files", str(files), "--at-once", str(at_once)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=6, help="images cleaned at once (default 6)")
    parser.add_argument("--at-once", type=int, default=Settings.max_decodes, help="decoding threads (PORTAL_MAX_DECODES)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.files, args.at_once)
        return
    with tempfile.TemporaryDirectory() as folder:
        paths = make_images(Path(folder))
        cases = [
            ("png-4096-rgba", args.at_once),
            ("png-4096-rgba", args.files),
            ("png-7745-rgba", args.at_once),
            ("jpeg-8000x6000", args.at_once),
            ("pdf-34000-objects", args.at_once),
        ]
        print(f"{args.files} files cleaned at once in a fresh process; memory above its start (VmRSS before cleaning)")
        print(f"{'file':17} {'KB':>8} {'threads':>7} {'start MB':>8} {'peak MB':>8} {'+MB':>6} {'s':>6}  outcome")
        for name, at_once in cases:
            result = run_case(paths[name], args.files, at_once)
            before, peak = result["before_kib"] / 1024, result["peak_kib"] / 1024
            print(
                f"{name:17} {paths[name].stat().st_size // 1000:>8} {at_once:>7} {before:>8.0f} {peak:>8.0f} "
                f"{peak - before:>6.0f} {result['seconds']:>6.1f}  {', '.join(result['outcomes'])}"
            )


if __name__ == "__main__":
    main()
