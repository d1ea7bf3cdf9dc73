"""bench.profiles builds the requests bodies.lua reads: five tab-separated fields, a cookie and CSRF pair for writes."""
from __future__ import annotations

import json

from bench.profiles.__main__ import N_MOVIES, request_lines, summary


def test_write_and_read_lines_have_the_request_format():
    writes = request_lines(["t0", "t1"], "writes", 4)
    fields = [line.split("\t") for line in writes]
    assert all(len(f) == 5 for f in fields)
    assert [f[0] for f in fields] == ["PUT"] * 4
    assert all(f[1].startswith("/me/ratings/") and 1 <= int(f[1].rsplit("/", 1)[1]) <= N_MOVIES for f in fields)
    assert fields[0][2] == "movierec_session=t0; movierec_csrf=bench-csrf"
    assert fields[1][2].startswith("movierec_session=t1")
    assert all(f[3] == "bench-csrf" and 0.5 <= json.loads(f[4])["rating"] <= 5 for f in fields)
    reads = [line.split("\t") for line in request_lines(["t0"], "recommendations", 2)]
    assert reads[0][:2] == ["GET", "/me/recommendations?top_k=10"] and reads[0][3:] == ["", ""]
    assert reads[1][1] == reads[0][1]  # the same account asks the same again: the cached answer fits


def test_changed_reads_never_repeat_an_accounts_previous_request():
    lines = [line.split("\t") for line in request_lines(["t0", "t1", "t2"], "recs-changed", 12)]
    by_account: dict[str, list[str]] = {}
    for f in lines:
        by_account.setdefault(f[2], []).append(f[1])
    assert len(by_account) == 3
    for urls in by_account.values():
        assert all(a != b for a, b in zip(urls, urls[1:])) and {u.rsplit("=", 1)[1] for u in urls} == {"10", "11"}


def run(side: str, endpoint: str, rps: float, p99: float, cpu: dict[str, float]) -> dict:
    return {"side": side, "database": "postgresql", "endpoint": endpoint, "throughput": rps, "p50_ms": p99 / 2,
            "p99_ms": p99, "cpu_ms_per_request": cpu, "cpu_ms_total": sum(cpu.values()), "load_average_1m": 1.0,
            "errors": {"status": 0}}


def test_summary_takes_medians_per_side_and_the_ratio_b_over_a():
    rows = [run("A x", "writes", rps, 40.0, {"profiles": 3.0, "gateway": 1.0}) for rps in (100, 300, 200)]
    rows += [run("B y", "writes", rps, 20.0, {"profiles": 1.0, "gateway": 1.0}) for rps in (400, 500, 450)]
    lines = summary(rows)
    a, b = (next(line for line in lines if side in line) for side in ("A x", "B y"))
    assert a.split()[4] == "200" and b.split()[4] == "450"  # median req/s of each side
    assert "profiles 3.00 gateway 1.00" in a
    assert lines[-1] == "B/A postgresql writes: throughput 2.25x, p99 0.50x, CPU per request 0.50x"
