"""py-spy sampling profiles of running services, summarised as self and inclusive time per function."""
from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

SAMPLE_RATE = 200  # per second


def py_spy_binary() -> str:
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if not found:
        raise RuntimeError("py-spy not found: `pip install -r requirements-dev.txt` (pinned there)")
    return found


def start_recording(pid: int, seconds: int, out: Path, subprocesses: bool = False) -> subprocess.Popen:
    """Starts `py-spy record` on pid for `seconds`, writing collapsed stacks ("raw") to `out`.

    --nonblocking samples without pausing the target, so the profile costs the service little.
    """
    args = [py_spy_binary(), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", str(SAMPLE_RATE),
            "--format", "raw", "--output", str(out), "--nonblocking"]
    if subprocesses:
        args.append("--subprocesses")
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def read_collapsed(path: Path) -> Counter:
    """{stack (frames root first, ';'-joined): samples} from py-spy's raw output."""
    stacks: Counter = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def _frame_name(frame: str) -> str:
    """'recommend (services/scorer/model.py:103)' -> 'recommend (services/scorer/model.py)': lines merged."""
    name, _, where = frame.partition(" (")
    file = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{name} ({file})" if file else name


def summarize(stacks: Counter, top: int = 25) -> str:
    """Text report: total samples, then the functions with the most self and inclusive samples."""
    total = sum(stacks.values())
    if not total:
        return "no samples (the process was idle or py-spy could not attach)\n"
    own: Counter = Counter()
    inclusive: Counter = Counter()
    for stack, count in stacks.items():
        frames = [_frame_name(f) for f in stack.split(";") if f]
        if not frames:
            continue
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    lines = [f"samples: {total} (py-spy --rate {SAMPLE_RATE}, non-idle threads only)", "",
             f"top {top} by self time (where the CPU is):"]
    lines += [f"  {100 * c / total:5.1f}%  {name}" for name, c in own.most_common(top)]
    lines += ["", f"top {top} by inclusive time (what the time is spent under):"]
    lines += [f"  {100 * c / total:5.1f}%  {name}" for name, c in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"
