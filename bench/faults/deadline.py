"""Whole-request deadline against a frozen scorer: `python -m bench.faults.deadline [--requests N]`.

Runs the stack twice: GATEWAY_REQUEST_DEADLINE_SECONDS at the given budget (default 2.0), then 60
(the budget never binds: only the per-call GATEWAY_RPC_TIMEOUT_SECONDS=2.0 limits each call, as before
the budget existed). Each time it SIGSTOPs the scorer (connections stay open, nothing answers), waits
past the scorer's version lease, and times N requests one after another (no load: nothing queues, so
the figures are the request's own time), each with a title nobody asked before so none is a cache hit.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import time
import urllib.error
import urllib.request

from bench.faults.scenarios import running
from bench.faults.stack import started_stack
from scripts.stack import Stack


def post(stack: Stack, body: dict) -> tuple[int, float]:
    """(HTTP status, seconds) of one POST /recommend/titles."""
    request = urllib.request.Request(stack.gateway_url + "/recommend/titles", data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            status = reply.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.monotonic() - started


def frozen_latencies(budget: str, requests: int) -> dict[str, object]:
    os.environ["GATEWAY_REQUEST_DEADLINE_SECONDS"] = budget  # the gateway process reads its environment
    with started_stack(None, "bench-deadline-") as stack:
        for i in range(3):  # warm: channels open, model version known
            assert post(stack, {"movies": ["usual suspects", f"warm {i}"]})[0] == 200
        scorer = running(stack, "scorer").popen
        scorer.send_signal(signal.SIGSTOP)
        try:
            time.sleep(1.0)  # past the version lease (0.5 s by default)
            results = [post(stack, {"movies": ["usual suspects", f"never asked {budget} {i}"]})
                       for i in range(requests)]
        finally:
            scorer.send_signal(signal.SIGCONT)
    seconds = [s for _, s in results]
    return {"budget_s": float(budget), "statuses": sorted({status for status, _ in results}),
            "min_s": round(min(seconds), 3), "median_s": round(statistics.median(seconds), 3),
            "max_s": round(max(seconds), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.faults.deadline", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--budget", default="2.0", help="GATEWAY_REQUEST_DEADLINE_SECONDS to measure")
    args = parser.parse_args()
    before = os.environ.get("GATEWAY_REQUEST_DEADLINE_SECONDS")
    try:
        rows = [frozen_latencies(args.budget, args.requests), frozen_latencies("60", args.requests)]
    finally:
        if before is None:
            os.environ.pop("GATEWAY_REQUEST_DEADLINE_SECONDS", None)
        else:
            os.environ["GATEWAY_REQUEST_DEADLINE_SECONDS"] = before
    print(f"# frozen scorer, {args.requests} sequential uncached requests per setting, "
          f"GATEWAY_RPC_TIMEOUT_SECONDS={os.environ.get('GATEWAY_RPC_TIMEOUT_SECONDS', '2.0')}")
    print("| GATEWAY_REQUEST_DEADLINE_SECONDS | statuses | min s | median s | max s |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['budget_s']:g} | {', '.join(map(str, row['statuses']))} | {row['min_s']} | "
              f"{row['median_s']} | {row['max_s']} |")


if __name__ == "__main__":
    main()
