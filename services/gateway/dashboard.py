"""The dashboard's data (the serving model's dataset statistics, the app's figures) and its chart library."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

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


class AppStatsOut(BaseModel):
    accounts: int
    active_accounts: dict[str, int] = Field(description="Accounts with feedback in the last 1d / 7d / 30d.")
    ratings_per_day: list[dict[str, Any]] = Field(description="[{day: YYYY-MM-DD (UTC), count}], oldest first.")
    rating_histogram: list[dict[str, Any]] = Field(description="[{rating: 0.5..5, count}] of the ratings stored now.")
    ratings: int


@router.get("/dashboard/app-stats", response_model=AppStatsOut)
async def app_stats(state: State, days: Annotated[int, Query(ge=1, le=365)] = 30) -> dict[str, Any]:
    """The app's own figures (accounts, ratings per day, rating distribution) from the profiles service."""
    s = await state.backends.profiles.app_stats(days)
    return {"accounts": s.accounts,
            "active_accounts": {"1d": s.active_accounts_1d, "7d": s.active_accounts_7d, "30d": s.active_accounts_30d},
            "ratings_per_day": [{"day": d.day, "count": d.count} for d in s.ratings_per_day],
            "rating_histogram": [{"rating": (i + 1) / 2, "count": c} for i, c in enumerate(s.rating_histogram)],
            "ratings": s.ratings}


@router.get("/vendor/chart.js", include_in_schema=False)
async def chart_library() -> FileResponse:
    """Chart.js's UMD build; 404 with the command to run when setup has not installed it."""
    if not CHART_JS.is_file():
        raise HTTPException(404, "the chart library is not installed; run `bash scripts/setup.sh` "
                                 "(it runs `npm ci` in services/gateway/web)")
    return FileResponse(CHART_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})
