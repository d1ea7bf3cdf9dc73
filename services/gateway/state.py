"""What the app holds for its lifetime, built in the lifespan and reached by routes through the request."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from services.gateway.cache import ResponseCache
from services.gateway.clients import Backends
from services.gateway.model_version import ModelVersion
from services.gateway.settings import GatewaySettings


@dataclass(frozen=True)
class GatewayState:
    settings: GatewaySettings
    backends: Backends
    cache: ResponseCache
    model: ModelVersion


async def get_state(request: Request) -> GatewayState:
    """FastAPI dependency: the state the lifespan put on the app (async: no threadpool hop)."""
    return request.app.state.gateway
