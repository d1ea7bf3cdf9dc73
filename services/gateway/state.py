"""What the app holds for its lifetime, built in the lifespan and reached by routes through the request."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from services.client import MatcherClient, ScorerClient
from services.gateway.cache import ResponseCache
from services.gateway.model_version import ModelVersion
from services.gateway.settings import GatewaySettings


class Backends:
    """The typed clients the app holds for its lifetime; built in the lifespan, closed on shutdown.

    Every call is bounded by GATEWAY_RPC_TIMEOUT_SECONDS (retries included) and by what is left of its
    HTTP request's GATEWAY_REQUEST_DEADLINE_SECONDS (request_id.py opens it); a failure raises the
    client's CallError, which errors.py turns into the HTTP answer.
    """

    def __init__(self, matcher: MatcherClient, scorer: ScorerClient) -> None:
        self.matcher = matcher
        self.scorer = scorer

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> Backends:
        timeout, tls = settings.rpc_timeout_seconds, settings.client_tls()
        return cls(MatcherClient(settings.matcher_address, timeout=timeout, tls=tls),
                   ScorerClient(settings.scorer_address, timeout=timeout, tls=tls))

    async def close(self) -> None:
        await self.matcher.close()
        await self.scorer.close()


@dataclass(frozen=True)
class GatewayState:
    settings: GatewaySettings
    backends: Backends
    cache: ResponseCache
    model: ModelVersion


async def get_state(request: Request) -> GatewayState:
    """FastAPI dependency: the state the lifespan put on the app (async: no threadpool hop)."""
    return request.app.state.gateway
