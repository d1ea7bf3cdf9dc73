"""Error answers as JSON: the one place where a failed gRPC call becomes an HTTP status, plus 422s."""
from __future__ import annotations

import logging
import math
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.client import CallError

log = logging.getLogger(__name__)

# Seconds a client is asked to wait before retrying when a backend is unavailable.
RETRY_AFTER_SECONDS = 3


# The profiles service's answers about the caller's own account.
_ACCOUNT_STATUS = {
    grpc.StatusCode.UNAUTHENTICATED: 401,  # no valid session, or a wrong username or password
    grpc.StatusCode.PERMISSION_DENIED: 403,  # the current password given to change it is wrong
    grpc.StatusCode.ALREADY_EXISTS: 409,  # the username is taken
    grpc.StatusCode.FAILED_PRECONDITION: 409,  # the account holds as many ratings or marks as allowed
}
# Codes whose details our servicers write for people (they name no address, file or internal state).
_PEOPLE_DETAILS = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT, *_ACCOUNT_STATUS)


def http_status(code: grpc.StatusCode) -> int:
    """HTTP status for a gRPC status code of a backend."""
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return 503
    if code == grpc.StatusCode.NOT_FOUND:
        return 404
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return 422
    return _ACCOUNT_STATUS.get(code, 502)


def error_detail(exc: CallError) -> str:
    """The client-facing message. Transport details (addresses, errno) stay in the log."""
    if exc.code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"{exc.service} is unavailable (no answer within the deadline); try again in a few seconds"
    if exc.code == grpc.StatusCode.UNAVAILABLE:
        return f"{exc.service} is unavailable (cannot connect); try again in a few seconds"
    if exc.code in _PEOPLE_DETAILS:
        return exc.details  # written by our servicers for people, e.g. "unknown user 9999"
    return f"{exc.service} failed ({exc.code.name})"


def error_response(exc: CallError) -> JSONResponse:
    status = http_status(exc.code)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    return JSONResponse({"detail": error_detail(exc)}, status_code=status, headers=headers)


async def _on_backend_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CallError)
    level = logging.WARNING if http_status(exc.code) >= 500 else logging.INFO
    log.log(level, "backend call failed", extra={
        "service": exc.service, "method": exc.method, "code": exc.code.name, "details": exc.details,
        "path": request.url.path,
    })
    return error_response(exc)


def _json_safe(value: Any) -> Any:
    """What the 422 echoes, made renderable: NaN and infinities (which Python's JSON parser lets in) as
    strings, and lone surrogates ("\\ud800", which JSON may escape but UTF-8 cannot encode) as \\ud800 text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_json_safe(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


async def _on_invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": _json_safe(jsonable_encoder(exc.errors()))}, status_code=422)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    return JSONResponse({"detail": "internal error"}, status_code=500)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own JSON answers, except that a body that is not JSON at all is a 422 like any bad input."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and str(exc.detail).startswith("There was an error parsing the body"):
        return JSONResponse({"detail": [{"type": "json_invalid", "loc": ["body"],
                                         "msg": "the body is not valid JSON (UTF-8)"}]}, status_code=422)
    return await http_exception_handler(request, exc)


# The error answers every API operation may give besides its own, as the OpenAPI spec lists them.
ERROR_SCHEMA = {"title": "ErrorDetail", "type": "object", "required": ["detail"],
                "properties": {"detail": {"title": "Detail", "anyOf": [{"type": "string"}, {"type": "array"}]}}}
COMMON_ERRORS = {
    "404": "an unknown movie, user or model statistics",
    "408": "the request line and headers (or the body) did not arrive within the gateway's timeout",
    "422": "invalid input (JSON body, parameters, limits)",
    "429": "over the per-client rate limit (when one is set); see Retry-After",
    "431": "request line and headers too large, or too many headers",
    "503": "a backend is down or slow, or the gateway is busy; see Retry-After",
}
BODY_ERRORS = {"413": "request body too large"}


def document_errors(app: FastAPI, prefixes: tuple[str, ...]) -> None:
    """Adds COMMON_ERRORS (and BODY_ERRORS to operations with a body) to the OpenAPI spec of API paths."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = build()
        spec.setdefault("components", {}).setdefault("schemas", {})["ErrorDetail"] = ERROR_SCHEMA
        for path, operations in spec["paths"].items():
            if not path.startswith(prefixes):
                continue
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:  # FastAPI's list of field errors, or a backend's INVALID_ARGUMENT text
                    content = responses["422"].setdefault("content", {}).setdefault("application/json", {})
                    content["schema"] = {"anyOf": [content.get("schema", {}),
                                                   {"$ref": "#/components/schemas/ErrorDetail"}]}
                errors = COMMON_ERRORS | (BODY_ERRORS if "requestBody" in operation else {})
                for code, description in errors.items():
                    operation.setdefault("responses", {}).setdefault(code, {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDetail"}}}})
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    """Registers the JSON handlers (FastAPI's own already answer HTTPException as JSON)."""
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(CallError, _on_backend_error)
    app.add_exception_handler(RequestValidationError, _on_invalid_request)
    app.add_exception_handler(Exception, _on_unexpected)
