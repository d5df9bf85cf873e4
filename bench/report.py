"""The benchmark's report (see run.py's docstring): the tables of figures and memory, the import,
and the targets of issue 7, printed at the end."""

from __future__ import annotations

import os
import platform

from measuring import median
from target import Target


TABLE_HEADER = "| data | case | s/run | requests/s | p50 ms | p99 ms | ceiling requests/s | ceiling p50 ms | ratio | SQL first / again | errors |"


def fmt_size(n: int) -> str:
    return f"{n:,}"


def table(rows: list[list[str]], header: str) -> str:
    head = [h.strip() for h in header.strip("|").split("|")]
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) if rows else len(head[i]) for i in range(len(head))]

    def line(cells: list[str], numeric: bool) -> str:
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.rjust(widths[i]) if numeric and i >= 2 else cell.ljust(widths[i]))
        return "| " + " | ".join(out) + " |"

    rule = "|" + "|".join("-" * (w + 2) if i < 2 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"
    return "\n".join([header, rule, *(line(r, True) for r in rows)])


def report(targets: list[Target], imported: dict | None, opts, elapsed: float) -> tuple[str, bool]:
    rows = []
    ratios: dict[tuple[str, str], float] = {}
    for target in targets:
        for key, figures in target.cases.items():
            project_rps = median([r.rps for r in figures.project])
            ceiling_rps = median([r.rps for r in figures.ceiling])
            ratio = project_rps / ceiling_rps if ceiling_rps else float("nan")
            ratios[(target.label, key)] = ratio
            errors = sum(r.errors for r in figures.project)
            ceiling_errors = sum(r.errors for r in figures.ceiling)
            served = any(r.requests for r in figures.project)
            rows.append([
                target.label,
                target.labels[key],
                str(figures.project[0].seconds) if figures.project else "-",
                f"{project_rps:,.1f}",
                f"{median([r.p50_ms for r in figures.project]):,.2f}" if served else "-",
                f"{median([r.p99_ms for r in figures.project]):,.2f}" if served else "-",
                f"{ceiling_rps:,.1f}",
                f"{median([r.p50_ms for r in figures.ceiling]):,.2f}",
                f"{ratio:.3f}",
                "-" if figures.statements is None else "%d / %d" % figures.statements,
                str(errors) if not ceiling_errors else f"{errors} (ceiling {ceiling_errors})",
            ])
    lines = [
        "",
        f"## Benchmark (issue 7): {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"wrk -t{opts.threads} -c{opts.connections}, runs of {opts.duration} s (upload {min(opts.upload_duration, opts.duration)} s) "
        f"the project's stretched for slow cases up to {opts.max_duration} s (s/run), {opts.repeats} repeat(s), medians; "
        "ceiling: a bare ASGI app answering with the recorded bytes",
        "",
        table(rows, TABLE_HEADER),
        "",
    ]
    memory_rows = []
    for target in targets:
        if target.rss_warm_kb is not None:
            memory_rows.append([
                target.label, f"{target.public_factories:,}", f"{target.warmup_seconds or 0:.1f}",
                f"{target.rss_warm_kb / 1024:,.0f}", f"{(target.rss_peak_kb or 0) / 1024:,.0f}",
            ])
    lines += [table(memory_rows, "| data | public factories | warm-up s | RSS after warm-up MB | peak RSS under load MB |"), ""]
    if imported:
        lines += [
            f"Import into a fresh SQLite ({fmt_size(imported['size'])}-factory demo documents): "
            f"{imported['findings']:,} findings in {imported['seconds']:.1f} s = {imported['rate']:,.0f} findings/s",
            "",
        ]

    checks = []

    def check(label: str, measured: str, met: bool | None) -> None:
        checks.append([label, measured, "not measured" if met is None else ("met" if met else "not met")])

    for target in targets:
        for key, goal in (("list", 0.8), ("random", 0.3)):
            if (target.label, key) in ratios:
                ratio = ratios[(target.label, key)]
                what = "list page, repeated" if key == "list" else "list pages, every request different"
                check(f"{what}: >= {goal} of the ceiling ({target.label})", f"{ratio:.3f}", ratio >= goal)
    if imported:
        check("import: >= 100,000 findings/s into SQLite", f"{imported['rate']:,.0f}/s", imported["rate"] >= 100_000)
    else:
        check("import: >= 100,000 findings/s into SQLite", "-", None)
    big = [t for t in targets if t.size >= 20_000 and t.rss_warm_kb is not None]
    if big:
        for t in big:
            mb = t.rss_warm_kb / 1024
            check(f"memory: 20,000 factories served in < 300 MB RSS ({t.label}; peak under load "
                  f"{(t.rss_peak_kb or 0) / 1024:,.0f} MB)", f"{mb:,.0f} MB", mb < 300)
    else:
        check("memory: 20,000 factories served in < 300 MB RSS", "no 20,000-factory run", None)
    lines += [table(checks, "| target | measured | |"), "", f"Took {elapsed / 60:.1f} min."]
    any_errors = any(r.errors for t in targets for f in t.cases.values() for r in f.project + f.ceiling)
    if any_errors:
        lines.append("Warning: some requests failed (non-2xx, timeouts or socket errors): see the errors column.")
    idle = [f"{t.label} {t.labels[k]}" for t in targets for k, f in t.cases.items() if not any(r.requests for r in f.project)]
    if idle:
        lines.append("Warning: no request finished within the run for: " + "; ".join(idle)
                     + " (raise --max-duration or lower --connections).")
    return "\n".join(lines), any_errors
