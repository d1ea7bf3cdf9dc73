"""The scorer's reader of the retrain history beside LATEST: a local artifact root, or an s3:// root (one GET)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from movierec.retrain_history import HISTORY_FILE, MAX_ENTRIES, parse_history, read_history
from services.common.artifact_source import parse_s3_uri, s3_client, s3_text


class HistorySource:
    """`read(limit)`: the newest `limit` runs of the location's retrain_history.jsonl, oldest first."""

    def __init__(self, location: Path | str) -> None:
        self.location = location
        self._s3 = parse_s3_uri(location) is not None
        self._client = None  # one boto3 client for every call

    def read(self, limit: int = MAX_ENTRIES) -> list[dict[str, Any]]:
        """[] when there is no history; ArtifactError when an s3:// root cannot be read."""
        if not self._s3:
            return read_history(self.location, limit)
        if self._client is None:
            self._client = s3_client()
        text = s3_text(self.location, HISTORY_FILE, self._client)
        return [] if text is None else parse_history(text, limit)
