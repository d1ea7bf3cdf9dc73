"""The gateway's matcher, scorer and profiles clients: the typed clients of services/client, failing as BackendError."""
from __future__ import annotations

import grpc

from services import client
from services.gateway.errors import BackendError
from services.gateway.settings import GatewaySettings

MATCHER = "matcher"
SCORER = "scorer"
PROFILES = "profiles"


class _AsBackendError:
    """Mixin: a failed call raises the gateway's BackendError, which errors.py maps to an HTTP status."""

    service: str

    def _error(self, method: str, code: grpc.StatusCode, details: str, attempts: int) -> Exception:
        return BackendError(self.service, method, code, details)


class MatcherClient(_AsBackendError, client.MatcherClient):
    """Matcher calls: each within GATEWAY_RPC_TIMEOUT_SECONDS (retries included) and within what is
    left of its HTTP request's GATEWAY_REQUEST_DEADLINE_SECONDS (request_id.py opens it)."""


class ScorerClient(_AsBackendError, client.ScorerClient):
    """Scorer calls, bounded like MatcherClient's."""


class ProfilesClient(_AsBackendError, client.ProfilesClient):
    """Profiles calls (accounts, ratings, marks), bounded like MatcherClient's."""


class Backends:
    """The three clients the app holds for its lifetime; built in the lifespan, closed on shutdown."""

    def __init__(self, matcher: MatcherClient, scorer: ScorerClient, profiles: ProfilesClient) -> None:
        self.matcher = matcher
        self.scorer = scorer
        self.profiles = profiles

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> Backends:
        timeout, tls = settings.rpc_timeout_seconds, settings.client_tls()
        return cls(MatcherClient(settings.matcher_address, timeout=timeout, tls=tls),
                   ScorerClient(settings.scorer_address, timeout=timeout, tls=tls),
                   ProfilesClient(settings.profiles_address, timeout=timeout, tls=tls))

    async def close(self) -> None:
        await self.matcher.close()
        await self.scorer.close()
        await self.profiles.close()
