"""The HTTP endpoints; each one is a thin call into a backend client and a conversion."""
from __future__ import annotations

import asyncio
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator

from services.common.metrics import CONTENT_TYPE
from services.gateway import convert
from services.gateway.recommend import recommend_titles
from services.gateway.schemas import (
    MAX_ID,
    NOT_BLANK,
    HealthResponse,
    ModelInfoResponse,
    PredictRatingRequest,
    PredictRatingResponse,
    RecommendRequest,
    RecommendResponse,
    SearchResponse,
    SimilarResponse,
    not_blank,
)
from services.gateway.state import GatewayState, get_state

router = APIRouter()


def built(body: dict[str, Any]) -> Response:
    """A JSON reply this code built to the route's response_model (which stays for the OpenAPI spec).

    Returning a Response skips FastAPI's re-validation of the body against the model, a large share
    of a cached request's CPU (bench/load); the schema tests check the shape instead."""
    return Response(orjson.dumps(body), media_type="application/json")
State = Annotated[GatewayState, Depends(get_state)]


@router.get("/health", response_model=HealthResponse,
            responses={503: {"model": HealthResponse, "description": "matcher or scorer is down"}})
async def health(state: State) -> Any:
    """Readiness: both backends SERVING (else 503 "down"); Redis down only makes it "degraded"."""
    matcher_ok, scorer_ok, redis_ok = await asyncio.gather(
        state.backends.matcher.healthy(), state.backends.scorer.healthy(), state.cache.ping())
    if scorer_ok and not state.model.version:
        await state.model.refresh()
    status = "down" if not (matcher_ok and scorer_ok) else "ok" if redis_ok else "degraded"
    body = {
        "status": status,
        "model_version": state.model.version or None,
        "dependencies": {name: "ok" if ok else "down"
                         for name, ok in (("matcher", matcher_ok), ("scorer", scorer_ok), ("redis", redis_ok))},
    }
    return JSONResponse(body, status_code=503 if status == "down" else 200)


@router.get("/health/live")
async def live() -> dict[str, str]:
    """Liveness: the process answers HTTP; says nothing about the backends."""
    return {"status": "alive"}


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, state: State) -> Response:
    """Prometheus metrics of this gateway process (text exposition format)."""
    if not state.settings.metrics_enabled:
        raise HTTPException(404, "metrics are disabled (GATEWAY_METRICS_ENABLED=false)")
    service_metrics = request.app.state.metrics
    service_metrics.set_model_version(state.model.version or None)
    return Response(service_metrics.exposition(), media_type=CONTENT_TYPE)


@router.post("/recommend/titles", response_model=RecommendResponse)
async def recommend(body: RecommendRequest, state: State) -> Any:
    """Recommendations from a few liked titles, typed as people type them."""
    return built(await recommend_titles(body, state))


@router.post("/predict-rating", response_model=PredictRatingResponse)
async def predict_rating(body: PredictRatingRequest, state: State) -> Any:
    """Predicted rating of a movie by a user of the training data; 404 for an unknown id."""
    reply = await state.backends.scorer.predict_rating(body.user_id, body.movie_id)
    state.model.observe(reply.model_version)
    return built({"user_id": body.user_id, "movie_id": body.movie_id,
                  "predicted_rating": round(float(reply.predicted_rating), 4), "model_version": reply.model_version})


@router.get("/movies/search", response_model=SearchResponse)
async def search_movies(state: State,
                        q: Annotated[str, Query(min_length=1, max_length=200, json_schema_extra={"pattern": NOT_BLANK}),
                                     AfterValidator(not_blank)],
                        limit: Annotated[int, Query(ge=1, le=50)] = 10) -> Any:
    """Titles for what has been typed so far (autocomplete), best first."""
    reply = await state.backends.matcher.suggest(q, limit)
    return built({"query": q, "results": [convert.search_result(c) for c in reply.suggestions],
                  "catalog_version": reply.catalog_version})


@router.get("/movies/{movie_id}/similar", response_model=SimilarResponse)
async def similar_movies(state: State, movie_id: Annotated[int, Path(ge=1, le=MAX_ID)],
                         k: Annotated[int, Query(ge=1, le=100)] = 10,
                         alpha: Annotated[float | None, Query(ge=0, le=1, allow_inf_nan=False)] = None) -> Any:
    """Movies most like one movie; 404 when the model does not know it."""
    reply = await state.backends.scorer.similar_movies(movie_id, k, alpha)
    state.model.observe(reply.model_version)
    return built({"movie": convert.movie(reply.movie), "similar": [convert.scored_movie(s) for s in reply.similar],
                  "model_version": reply.model_version})


@router.get("/model", response_model=ModelInfoResponse)
async def model_info(state: State) -> Any:
    """What model is serving: version, dataset, metrics, parameters."""
    info = await state.backends.scorer.model_info()
    state.model.observe(info.model_version)
    return convert.model_info(info)
