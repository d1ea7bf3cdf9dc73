"""The retrain history: one JSON line per `python -m trainer retrain` run, appended beside LATEST.

    <root>/retrain_history.jsonl   {"time", "version", "outcome": "promoted" | "rejected", "reason",
                                    "candidate": {figures}, "serving": {"version", figures} | null,
                                    "data": {...}, "seconds"}

The trainer appends (one write of a whole line, flushed to disk); the scorer reads it for the
dashboard's model timeline. A line that does not parse (a run killed mid-write) is skipped.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

HISTORY_FILE = "retrain_history.jsonl"
OUTCOMES = ("promoted", "rejected")
MAX_ENTRIES = 500  # the newest kept by read_history: a year of hourly runs is 8,760 lines

log = logging.getLogger(__name__)


def append_entry(root: Path | str, entry: dict[str, Any]) -> None:
    """Appends entry as one line to root/HISTORY_FILE (created if missing); ValueError for a bad outcome."""
    if entry.get("outcome") not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, got {entry.get('outcome')!r}")
    line = (json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(Path(root) / HISTORY_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)  # O_APPEND: one write lands whole at the end, even beside another writer
        os.fsync(fd)
    finally:
        os.close(fd)


def parse_history(text: str, limit: int = MAX_ENTRIES) -> list[dict[str, Any]]:
    """The newest `limit` well-formed entries of a history file's text, oldest first."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            log.warning("skipping a malformed retrain history line", extra={"line": number})
            continue
        if isinstance(entry, dict) and entry.get("outcome") in OUTCOMES and isinstance(entry.get("version"), str):
            entries.append(entry)
    return entries[-limit:]


def read_history(root: Path | str, limit: int = MAX_ENTRIES) -> list[dict[str, Any]]:
    """The newest `limit` entries of root/HISTORY_FILE, oldest first; [] when there is none."""
    try:
        text = (Path(root) / HISTORY_FILE).read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return []
    return parse_history(text, limit)

