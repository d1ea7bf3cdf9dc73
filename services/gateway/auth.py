"""Sessions in cookies, CSRF double submit, and the sign-in rate limit: what every account endpoint relies on.

The session token lives in an HttpOnly, SameSite=Lax cookie the page's scripts cannot read. Every
cookie-authenticated write must also send header X-CSRF-Token equal to the (readable) movierec_csrf
cookie: another site can make a browser send the cookies, but cannot read them to copy one into a header.
"""
from __future__ import annotations

import hmac
import math
import secrets
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response

from services.gateway.state import GatewayState, get_state

SESSION_COOKIE = "movierec_session"
CSRF_COOKIE = "movierec_csrf"
CSRF_HEADER = "x-csrf-token"
MAX_TOKEN_CHARS = 128
SIGN_IN_WINDOW_SECONDS = 60.0  # the profiles service refuses longer ones anyway; no need to send them


def is_https(request: Request) -> bool:
    """Served over HTTPS: directly, or behind a trusted proxy's X-Forwarded-Proto (uvicorn applies it to the
    scheme for GATEWAY_TRUSTED_PROXIES only, so a client cannot claim it)."""
    return request.url.scheme == "https"


def set_session_cookies(request: Request, response: Response, token: str, expires_at_ms: int) -> None:
    """The session cookie (HttpOnly) and a fresh CSRF cookie (readable by the page), both until the session ends."""
    max_age = max(0, int(expires_at_ms / 1000 - time.time()))
    secure = is_https(request)
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=secure)
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), max_age=max_age, path="/", httponly=False,
                        samesite="lax", secure=secure)


def clear_session_cookies(request: Request, response: Response) -> None:
    secure = is_https(request)
    for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", httponly=http_only, samesite="lax", secure=secure)


async def session_token(request: Request) -> str:
    """FastAPI dependency: the request's session token; 401 JSON without one."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise HTTPException(401, "not signed in: POST /auth/login or /auth/signup first")
    return token


async def writing_session_token(request: Request, token: Annotated[str, Depends(session_token)]) -> str:
    """FastAPI dependency for writes: the session token, once X-CSRF-Token equals the movierec_csrf cookie (403)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), header.encode()):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header: send the value of the {CSRF_COOKIE} "
                                 "cookie with every write")
    return token


def json_only(request: Request) -> None:
    """FastAPI dependency of sign-in and sign-up: a JSON body, which a cross-site HTML form cannot send
    (so no other site can sign a visitor in to an account of its choosing)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise HTTPException(415, "send the body as JSON (Content-Type: application/json)")


async def limit_sign_in(request: Request, state: GatewayState, username: str) -> None:
    """Counts an attempt for the client address and for the username in the last 60 s; 429 + Retry-After when
    either already holds its limit.

    Sliding windows in Redis (shared by every worker and replica, as the general rate limit); while Redis is
    down attempts are not limited.
    """
    client = request.client.host if request.client else "unknown"
    s = state.settings
    for key, limit in ((f"signin:client:{client}", s.login_per_minute_per_client),
                       (f"signin:user:{username.strip().lower()}", s.login_per_minute_per_username)):
        wait = await state.cache.window_hit(key, limit, SIGN_IN_WINDOW_SECONDS)
        if wait:
            retry_after = max(1, math.ceil(wait))
            raise HTTPException(429, f"too many sign-in attempts; retry after {retry_after} s",
                                headers={"Retry-After": str(retry_after)})


Token = Annotated[str, Depends(session_token)]
WritingToken = Annotated[str, Depends(writing_session_token)]
State = Annotated[GatewayState, Depends(get_state)]
