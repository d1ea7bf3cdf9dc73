"""Typed asyncio clients of the matcher, scorer and profiles: `ScorerClient("host:port")`, deadlines, retries, request ids."""
from services.client.base import CallError, ServiceClient
from services.client.deadline import deadline
from services.client.matcher import MatcherClient
from services.client.profiles import ProfilesClient
from services.client.retry import NO_RETRY, RetryPolicy
from services.client.scorer import ScorerClient, recommend_request
from services.common.tls import ClientTls, client_tls

__all__ = ["CallError", "ClientTls", "MatcherClient", "NO_RETRY", "ProfilesClient", "RetryPolicy", "ScorerClient", "ServiceClient",
           "client_tls", "deadline", "recommend_request"]
