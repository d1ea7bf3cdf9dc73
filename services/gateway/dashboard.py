"""The dashboard's data (the serving model's dataset statistics) and its chart library, served locally."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from movierec.v1 import scorer_pb2
from services.client import CallError
from services.gateway.routes import State

# Chart.js from npm (pinned in web/package-lock.json, installed by `npm ci` in scripts/setup.sh):
# the page loads it from this gateway, never from a CDN, so the dashboard works offline.
WEB_DIR = Path(__file__).parent / "web"
CHART_JS = WEB_DIR / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"

router = APIRouter()


@router.get("/dashboard/stats")
async def dataset_stats(state: State) -> dict[str, Any]:
    """{model_version, stats, models}: the serving artifact's stats.json (see trainer/stats.py; 404 when it
    has none) and the retrain history (`models`: runs oldest first, or null with `models_error` when it
    cannot be read, so the dataset charts still show)."""
    scorer = state.backends.scorer  # the client's deadline, retries and error mapping
    stats, history = await asyncio.gather(scorer.dataset_stats(), scorer.model_history(), return_exceptions=True)
    if isinstance(stats, BaseException):
        raise stats
    state.model.observe(stats.model_version)
    reply: dict[str, Any] = {"model_version": stats.model_version, "stats": json.loads(stats.stats_json)}
    if isinstance(history, CallError):  # e.g. an S3 root unreadable for now: the details stay in the scorer's log
        return reply | {"models": None, "models_error": f"the retrain history cannot be read now "
                                                        f"({history.service}: {history.code.name})"}
    if isinstance(history, BaseException):
        raise history
    return reply | {"models": [retrain_run(r) for r in history.runs]}


def _figures(f: scorer_pb2.GateFigures) -> dict[str, float | None]:
    return {name: getattr(f, name) if name in ("rmse", "rmse_base") or f.HasField(name) else None
            for name in ("rmse", "rmse_base", "rmse_app", "ndcg10", "recall10")}


def retrain_run(r: scorer_pb2.RetrainRun) -> dict[str, Any]:
    """One RetrainRun as the dashboard's JSON (absent figures are null)."""
    return {"time": r.time, "version": r.version, "promoted": r.promoted, "reason": r.reason,
            "candidate": _figures(r.candidate) if r.HasField("candidate") else None,
            "serving_version": r.serving_version or None,
            "serving": _figures(r.serving) if r.HasField("serving") else None,
            "ratings": r.ratings, "app_ratings": r.app_ratings, "app_accounts": r.app_accounts,
            "seconds": round(r.seconds, 2)}


@router.get("/vendor/chart.js", include_in_schema=False)
async def chart_library() -> FileResponse:
    """Chart.js's UMD build; 404 with the command to run when setup has not installed it."""
    if not CHART_JS.is_file():
        raise HTTPException(404, "the chart library is not installed; run `bash scripts/setup.sh` "
                                 "(it runs `npm ci` in services/gateway/web)")
    return FileResponse(CHART_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})
