"""Errors as RFC 9457 problem details (``application/problem+json``), never a stack trace.

Every library error maps to the status that fits; anything unexpected becomes a bare 500
whose body says only that something went wrong (the details go to the server log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    BadInputError,
    ConfigError,
    ConflictError,
    ForbiddenError,
    HyperlexiconError,
    NotFoundError,
)

log = logging.getLogger("hyperlexicon.server")
MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class ProblemError(Exception):
    """Raise from a route to answer with a problem."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def problem(
    status: int,
    detail: str | None,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=str(request.url.path) if request is not None else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def status_for(exc: HyperlexiconError) -> int:
    from ..calibration import RateLimitError
    from ..connectors import ConnectorError
    from ..index import IndexBusyError, IndexDamagedError, IndexMismatchError

    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ForbiddenError):
        return 403
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, RateLimitError):
        return 429
    if isinstance(exc, (BadInputError, ConfigError)):
        return 422
    if isinstance(exc, ConnectorError):
        return 502
    if isinstance(exc, (IndexBusyError, IndexDamagedError, IndexMismatchError)):
        return 503
    return 409


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.detail, request, exc.headers)

    @app.exception_handler(HyperlexiconError)
    async def _library(request: Request, exc: HyperlexiconError) -> JSONResponse:
        return problem(status_for(exc), str(exc), request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first: dict[str, Any] = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return problem(422, f"{where}: {first.get('msg', 'invalid')}", request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            str(exc.detail) if exc.detail else None,
            request,
            getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "the server could not complete the request", request)
