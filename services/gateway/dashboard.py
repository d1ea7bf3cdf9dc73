"""The dashboard's data (the serving model's dataset statistics) and its chart library, served locally."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

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


@router.get("/vendor/chart.js", include_in_schema=False)
async def chart_library() -> FileResponse:
    """Chart.js's UMD build; 404 with the command to run when setup has not installed it."""
    if not CHART_JS.is_file():
        raise HTTPException(404, "the chart library is not installed; run `bash scripts/setup.sh` "
                                 "(it runs `npm ci` in services/gateway/web)")
    return FileResponse(CHART_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})
