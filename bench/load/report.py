"""Markdown tables of a benchmark run: cells side by side with the monolith, ratios, targets."""
from __future__ import annotations

import statistics

from bench.load.run import CatalogResult

# The targets on the 2-core machine.
UNCACHED_RATIO_TARGET = 20.0  # x monolith throughput, uncached, 8 connections
UNCACHED_P99_TARGET_MS = 30.0
CACHED_THROUGHPUT_TARGET = 2_000.0
LARGE_P99_TARGET_MS = 60.0  # 62K catalog, uncached, 8 connections


def _cell(result: CatalogResult, target: str, mode: str, connections: int) -> dict | None:
    """The run of that cell; with --repeats, its medians over the repeats (throughput, latencies,
    CPU per request), errors summed, the lowest cache hit ratio."""
    runs = [c for c in result.cells if (c["target"], c["mode"], c["connections"]) == (target, mode, connections)]
    if len(runs) <= 1:
        return runs[0] if runs else None
    out = {**runs[0], "repeats": len(runs)}
    for key in ("throughput", "p50_ms", "p95_ms", "p99_ms"):
        out[key] = statistics.median(c[key] for c in runs)
    out["errors"] = {kind: sum(c["errors"].get(kind, 0) for c in runs) for c in runs for kind in c["errors"]}
    if "cpu_ms_per_request" in runs[0]:
        out["cpu_ms_per_request"] = {name: statistics.median(c["cpu_ms_per_request"][name] for c in runs)
                                     for name in runs[0]["cpu_ms_per_request"]}
    if runs[0].get("cache_hit_ratio") is not None:
        out["cache_hit_ratio"] = min(c["cache_hit_ratio"] for c in runs)
    return out


def _keys(result: CatalogResult) -> list[tuple[str, int]]:
    """(mode, connections) of every cell measured, uncached first."""
    return sorted({(c["mode"], c["connections"]) for c in result.cells}, key=lambda k: (k[0] != "uncached", k[1]))


def _latency(cell: dict | None) -> str:
    return "—" if cell is None else f"{cell['p50_ms']:.1f} / {cell['p95_ms']:.1f} / {cell['p99_ms']:.1f}"


def _errors(cell: dict | None) -> str:
    if cell is None:
        return ""
    n = sum(cell["errors"].values())
    return f" ({n} errors)" if n else ""


def cells_table(result: CatalogResult) -> str:
    lines = [f"#### {result.name} ({result.n_movies:,} movies)", "",
             "| mode | conns | stack req/s | stack p50 / p95 / p99 ms | monolith req/s | monolith p50 / p95 / p99 ms "
             "| throughput × | cache hits |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for mode, conns in _keys(result):
        stack, mono = _cell(result, "stack", mode, conns), _cell(result, "monolith", mode, conns)
        ratio = (f"{stack['throughput'] / mono['throughput']:.1f}×"
                 if stack and mono and mono["throughput"] else "—")
        hits = stack.get("cache_hit_ratio") if stack else None
        if stack is None:
            lines.append(f"| {mode} | {conns} | — | — | — | — | — | — |")
            continue
        mono_rate = f"{mono['throughput']:,.1f}" if mono else "—"
        hit_text = "—" if hits is None else f"{100 * hits:.0f}%"
        lines.append(f"| {mode} | {conns} | {stack['throughput']:,.0f}{_errors(stack)} | {_latency(stack)} | "
                     f"{mono_rate}{_errors(mono)} | {_latency(mono)} | {ratio} | {hit_text} |")
    if result.monolith_restarts:
        lines += ["", f"The monolith was restarted {result.monolith_restarts} times after a run, because it was still "
                  "computing requests wrk had abandoned, which would have taken CPU from the next run."]
    return "\n".join(lines) + "\n"


def cpu_table(result: CatalogResult) -> str:
    """CPU milliseconds per completed request, per process: which service a request costs most in."""
    services = ("gateway", "matcher", "scorer", "redis")
    lines = [f"| {result.name}: CPU ms / request | conns | " + " | ".join(services) + " | stack total | monolith |",
             "|---|---:|" + "---:|" * (len(services) + 2)]
    for mode, conns in _keys(result):
        cell = _cell(result, "stack", mode, conns)
        if cell is None or "cpu_ms_per_request" not in cell:
            continue
        cpu = cell["cpu_ms_per_request"]
        mono = _cell(result, "monolith", cell["mode"], cell["connections"])
        mono_cpu = f"{mono['cpu_ms_per_request']['monolith']:.1f}" if mono and "cpu_ms_per_request" in mono else "—"
        lines.append(f"| {cell['mode']} | {cell['connections']} | " + " | ".join(f"{cpu[s]:.2f}" for s in services)
                     + f" | {sum(cpu.values()):.2f} | {mono_cpu} |")
    return "\n".join(lines) + "\n"


def processes_table(result: CatalogResult) -> str:
    names = list(result.startup_s)
    lines = [f"| {result.name} | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names),
             "| start-up to healthy, s | " + " | ".join(f"{result.startup_s[n]:.2f}" for n in names) + " |",
             "| RSS idle, MiB | " + " | ".join(f"{result.rss_idle_mb.get(n, 0):.0f}" for n in names) + " |",
             "| RSS after load, MiB | " + " | ".join(f"{result.rss_loaded_mb.get(n, 0):.0f}" for n in names) + " |"]
    return "\n".join(lines) + "\n"


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def targets(results: list[CatalogResult]) -> str:
    """One line per target of the issue, with the measured value."""
    lines = []
    small = next((r for r in results if r.name == "ml100k"), None)
    large = next((r for r in results if r.name == "synthetic-62k"), None)
    if small:
        stack, mono = _cell(small, "stack", "uncached", 8), _cell(small, "monolith", "uncached", 8)
        if stack and mono and mono["throughput"]:
            ratio = stack["throughput"] / mono["throughput"]
            lines.append(f"- uncached, 8 connections: {ratio:.1f}× the monolith's throughput "
                         f"(target ≥ {UNCACHED_RATIO_TARGET:.0f}×): {_verdict(ratio >= UNCACHED_RATIO_TARGET)}")
        if stack:
            lines.append(f"- uncached, 8 connections: p99 {stack['p99_ms']:.1f} ms "
                         f"(target ≤ {UNCACHED_P99_TARGET_MS:.0f} ms): "
                         f"{_verdict(stack['p99_ms'] <= UNCACHED_P99_TARGET_MS)}")
        cached = [c for c in (_cell(small, "stack", m, n) for m, n in _keys(small) if m == "cached") if c]
        if cached:
            best = max(cached, key=lambda c: c["throughput"])
            met = best["throughput"] >= CACHED_THROUGHPUT_TARGET
            lines.append(f"- cached: best {best['throughput']:,.0f} req/s at {best['connections']} connections "
                         f"(target ≥ {CACHED_THROUGHPUT_TARGET:,.0f}): {_verdict(met)}")
    if large:
        stack, mono = _cell(large, "stack", "uncached", 8), _cell(large, "monolith", "uncached", 8)
        if stack:
            lines.append(f"- 62K catalog, uncached, 8 connections: p99 {stack['p99_ms']:.1f} ms "
                         f"(target ≤ {LARGE_P99_TARGET_MS:.0f} ms): {_verdict(stack['p99_ms'] <= LARGE_P99_TARGET_MS)}")
        if stack and mono and mono["throughput"]:
            lines.append(f"- 62K catalog, uncached, 8 connections: {stack['throughput'] / mono['throughput']:.0f}× "
                         "the monolith's throughput")
    return "\n".join(lines) + "\n"


def markdown(results: list[CatalogResult], conditions: str) -> str:
    parts = ["### Targets", "", targets(results), "### Conditions", "", conditions, "",
             "### Throughput and latency", ""]
    parts += [cells_table(r) for r in results]
    parts += ["### Where the CPU goes (from /proc, during each run)", ""] + [cpu_table(r) for r in results]
    parts += ["### Start-up and memory", ""] + [processes_table(r) for r in results]
    return "\n".join(parts)
