"""The account endpoints: sign-up, sign-in and out, and the signed-in person's ratings, marks, data and recommendations.

Each is a thin call into the profiles service over gRPC (services/client/profiles.py), which resolves the
session token itself: no route here names an account id, so no request can reach another person's data.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from movierec.store import APP_USER_ID_OFFSET
from movierec.v1 import profiles_pb2
from services.gateway import account_schemas as s
from services.gateway.auth import (
    State,
    Token,
    WritingToken,
    clear_session_cookies,
    json_only,
    limit_sign_in,
    set_session_cookies,
)
from services.gateway.cache import personal_key
from services.gateway.personal import movie_lookup, personal_recommendations
from services.gateway.routes import built
from services.gateway.schemas import MAX_ID

router = APIRouter()


def _errors(**codes: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of the account endpoints' own error answers (JSON {"detail"})."""
    schema = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDetail"}}}
    return {int(code[1:]): {"description": text, "content": schema} for code, text in codes.items()}


READ = _errors(_401="not signed in, or the session ended (sign in again)")
WRITE = _errors(_401="not signed in, or the session ended (sign in again)",
                _403="X-CSRF-Token header missing or not equal to the movierec_csrf cookie")
SIGN_IN = _errors(_415="the body is not sent as application/json")
MovieIdPath = Annotated[int, PathParam(ge=1, le=MAX_ID)]


def iso(ms: int) -> str:
    """Unix milliseconds as ISO 8601 UTC, e.g. 2026-12-05T22:45:59.123Z."""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def account(a: profiles_pb2.Account) -> dict[str, Any]:
    return {"account_id": a.account_id, "username": a.username, "created_at": iso(a.created_at_ms),
            "n_ratings": a.n_ratings, "model_user_id": APP_USER_ID_OFFSET + a.account_id}


def _signed_in(request: Request, session: profiles_pb2.Session, status: int) -> Response:
    response = built({"account": account(session.account), "expires_at": iso(session.expires_at_ms)})
    response.status_code = status
    set_session_cookies(request, response, session.token, session.expires_at_ms)
    return response


def _titled(movie_id: int, titles: dict[int, Any]) -> dict[str, Any]:
    known = titles.get(movie_id)
    return {"title": known.title if known else None, "year": (known.year or None) if known else None}


def _rating(r: profiles_pb2.Rating, titles: dict[int, Any]) -> dict[str, Any]:
    return {"movieId": r.movie_id, "rating": r.rating, "updated_at": iso(r.updated_at_ms),
            **_titled(r.movie_id, titles)}


def _mark(m: profiles_pb2.Mark, titles: dict[int, Any]) -> dict[str, Any]:
    return {"movieId": m.movie_id, "kind": m.kind, "created_at": iso(m.created_at_ms), **_titled(m.movie_id, titles)}


@router.post("/auth/signup", response_model=s.SessionOut, status_code=201, dependencies=[Depends(json_only)],
             responses={**SIGN_IN, **_errors(_409="the username is taken")})
async def sign_up(body: s.SignUpRequest, request: Request, state: State) -> Any:
    """Creates an account (with optional first ratings) and signs in: sets the session and CSRF cookies."""
    await limit_sign_in(request, state, body.username)
    session = await state.backends.profiles.sign_up(body.username, body.password,
                                                    [(r.movieId, r.rating) for r in body.ratings])
    return _signed_in(request, session, 201)


@router.post("/auth/login", response_model=s.SessionOut, dependencies=[Depends(json_only)],
             responses={**SIGN_IN, **_errors(_401="wrong username or password (one message for both)")})
async def log_in(body: s.LogInRequest, request: Request, state: State) -> Any:
    """Signs in with a new session token every time (sets the session and CSRF cookies)."""
    await limit_sign_in(request, state, body.username)
    return _signed_in(request, await state.backends.profiles.log_in(body.username, body.password), 200)


@router.post("/auth/logout", response_model=s.SignedOutOut, responses=WRITE)
async def log_out(request: Request, state: State, token: WritingToken) -> Any:
    """Revokes the session and clears its cookies."""
    reply = await state.backends.profiles.log_out(token)
    response = built({"signed_out": reply.revoked})
    clear_session_cookies(request, response)
    return response


@router.post("/me/password", response_model=s.SessionOut, dependencies=[Depends(json_only)],
             responses={**WRITE, **SIGN_IN, **_errors(
                 _403="the current password is wrong, or the X-CSRF-Token header is missing or wrong",
                 _429="too many attempts for this account or client (Retry-After says when to try again)")})
async def change_password(body: s.PasswordChange, request: Request, state: State, token: WritingToken) -> Any:
    """Replaces the password once the current one is checked, and ends every session of the account (signed
    out everywhere, this browser too), then signs this browser in again with a new session (sets the cookies).
    Attempts count towards the sign-in rate limit of the account and the client."""
    who = await state.backends.profiles.account(token)
    await limit_sign_in(request, state, who.username)
    session = await state.backends.profiles.change_password(token, body.current_password, body.new_password)
    return _signed_in(request, session, 200)


@router.get("/me", response_model=s.AccountOut, responses=READ)
async def me(state: State, token: Token) -> Any:
    """The signed-in account."""
    return built(account(await state.backends.profiles.account(token)))


@router.get("/me/ratings", response_model=s.RatingsOut, responses=READ)
async def my_ratings(state: State, token: Token) -> Any:
    """Every rating of the account, most recent first, with titles from the serving model's catalog."""
    profile = await state.backends.profiles.profile(token)
    titles = await movie_lookup(state, [r.movie_id for r in profile.ratings])
    return built({"ratings": [_rating(r, titles) for r in profile.ratings]})


@router.put("/me/ratings/{movie_id}", response_model=s.RatingOut,
            responses={**WRITE, **_errors(_409="the account already rates as many movies as allowed")})
async def put_rating(movie_id: MovieIdPath, body: s.RatingIn, state: State, token: WritingToken) -> Any:
    """Sets (or replaces) the account's rating of a movie; the next /me/recommendations uses it."""
    r = await state.backends.profiles.put_rating(token, movie_id, body.rating)
    return built({"movieId": r.movie_id, "rating": r.rating, "updated_at": iso(r.updated_at_ms),
                  "title": None, "year": None})


@router.delete("/me/ratings/{movie_id}", response_model=s.RemovedOut, responses=WRITE)
async def delete_rating(movie_id: MovieIdPath, state: State, token: WritingToken) -> Any:
    """Removes the account's rating of a movie (removed: false when there was none)."""
    return built({"removed": (await state.backends.profiles.delete_rating(token, movie_id)).removed})


@router.get("/me/feedback", response_model=s.MarksOut, responses=READ)
async def my_marks(state: State, token: Token) -> Any:
    """The account's "seen" and "not interested" marks, most recent first."""
    profile = await state.backends.profiles.profile(token)
    titles = await movie_lookup(state, [m.movie_id for m in profile.marks])
    return built({"marks": [_mark(m, titles) for m in profile.marks]})


@router.post("/me/feedback", response_model=s.MarkOut,
             responses={**WRITE, **_errors(_409="the account already has as many marks as allowed")})
async def put_mark(body: s.FeedbackIn, state: State, token: WritingToken) -> Any:
    """Marks a movie "seen" or "not_interested": it is no longer recommended to this account."""
    m = await state.backends.profiles.put_mark(token, body.movieId, body.kind)
    return built(_mark(m, {}))


@router.delete("/me/feedback/{movie_id}", response_model=s.RemovedOut, responses=WRITE)
async def delete_mark(movie_id: MovieIdPath, kind: Annotated[s.MarkKind, Query()], state: State,
                      token: WritingToken) -> Any:
    """Undoes a mark (removed: false when there was none)."""
    return built({"removed": (await state.backends.profiles.delete_mark(token, movie_id, kind)).removed})


@router.get("/me/recommendations", response_model=s.PersonalRecommendResponse, responses=READ)
async def my_recommendations(state: State, token: Token,
                             top_k: Annotated[int, Query(ge=1, le=100)] = 10,
                             diversity: Annotated[float, Query(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.0) -> Any:
    """Recommendations folded in from the account's stored ratings, its rated and marked movies left out;
    diversity in [0, 1] re-ranks them for variety as on /recommend/titles (0 = the model's ranking).

    Follows the ratings as stored now, so a new rating shows at once: the answer is cached per account under
    a digest of the ratings, marks, options and model version it came from ("cached": true when reused).
    """
    return built(await personal_recommendations(state, token, top_k, diversity))


@router.get("/me/export", response_model=s.ExportOut, responses=READ)
async def export(state: State, token: Token) -> Any:
    """Everything stored about the account, as JSON."""
    e = await state.backends.profiles.export(token)
    titles = await movie_lookup(state, [r.movie_id for r in e.ratings] + [m.movie_id for m in e.marks])
    return built({
        "account": account(e.account), "ratings": [_rating(r, titles) for r in e.ratings],
        "marks": [_mark(m, titles) for m in e.marks],
        "events": [{"event_id": v.event_id, "at": iso(v.at_ms), "kind": v.kind, "movieId": v.movie_id or None,
                    "rating": v.rating if v.HasField("rating") else None, "mark": v.mark or None} for v in e.events],
        "events_truncated": e.events_truncated,
        "sessions": [{"created_at": iso(x.created_at_ms), "expires_at": iso(x.expires_at_ms)} for x in e.sessions]})


@router.delete("/me", response_model=s.DeletedOut, responses=WRITE)
async def delete_me(request: Request, state: State, token: WritingToken) -> Any:
    """Deletes the account and everything stored about it, signs out everywhere, clears the cookies."""
    d = await state.backends.profiles.delete_account(token)
    await state.cache.delete(personal_key(d.account_id))  # the cached recommendations name movies they rated
    response = built({"deleted": {"ratings": d.ratings, "marks": d.marks, "events": d.events,
                                  "sessions": d.sessions}})
    clear_session_cookies(request, response)
    return response
