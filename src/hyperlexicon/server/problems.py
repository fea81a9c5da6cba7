"""Errors as RFC 9457 problem details (``application/problem+json``), never a stack trace.

Every library error carries its status and its code (``errors.py``, the one table the remote
client reads too); the problem says both. Anything unexpected becomes a bare 500 whose body
says only that something went wrong (the details go to the server log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import HyperlexiconError

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
    code: str | None = None  # the library error's code (errors.ERRORS), when one was behind it


class ProblemError(Exception):
    """Raise from a route to answer with a problem."""

    def __init__(
        self,
        status: int,
        detail: str,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.code = code


def problem(
    status: int,
    detail: str | None,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> JSONResponse:
    body = Problem(
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=str(request.url.path) if request is not None else None,
        code=code,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def document(app: FastAPI) -> None:
    """Say in the OpenAPI schema what the server sends: error bodies are
    ``application/problem+json`` (FastAPI would list the route's ``application/json``)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content") or {}
                        body = content.get("application/json", {}).get("schema", {})
                        if status[:1] in "45" and body.get("$ref", "").endswith("/Problem"):
                            response["content"] = {MEDIA_TYPE: {"schema": body}}
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on the request's path (asking the router itself, so
    included routers and mounts count)."""
    from starlette.routing import Match

    routes = request.app.router.routes
    return [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    ]


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.detail, request, exc.headers, exc.code)

    @app.exception_handler(HyperlexiconError)
    async def _library(request: Request, exc: HyperlexiconError) -> JSONResponse:
        return problem(exc.status, str(exc), request, code=exc.code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first: dict[str, Any] = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        # a body that is not JSON at all is malformed (400); JSON that says the wrong thing, 422
        status = 400 if first.get("type") == "json_invalid" else 422
        return problem(status, f"{where}: {first.get('msg', 'invalid')}", request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names only the methods of the first route on the path; a path served
            # by several routes (GET and POST /lexicons) allows all of theirs
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem(
            exc.status_code,
            str(exc.detail) if exc.detail else None,
            request,
            headers or None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "the server could not complete the request", request)
