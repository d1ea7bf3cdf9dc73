"""The dashboard's data (the serving model's dataset statistics, the app's figures) and its chart library."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from services.gateway.routes import State

# Chart.js from npm (pinned in web/package-lock.json, installed by `npm ci` in scripts/setup.sh):
# the page loads it from this gateway, never from a CDN, so the dashboard works offline.
WEB_DIR = Path(__file__).parent / "web"
CHART_JS = WEB_DIR / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"

router = APIRouter()


@router.get("/dashboard/stats")
async def dataset_stats(state: State) -> dict[str, Any]:
    """{model_version, stats}: the serving artifact's stats.json (see trainer/stats.py); 404 when it has none."""
    reply = await state.backends.scorer.dataset_stats()  # the client's deadline, retries and error mapping
    state.model.observe(reply.model_version)
    return {"model_version": reply.model_version, "stats": json.loads(reply.stats_json)}


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
