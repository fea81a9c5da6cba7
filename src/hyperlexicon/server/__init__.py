"""The HyperBridge service: REST and WebSocket over the same ``Lexicon`` facade as the CLI.

Install the ``server`` extra and run ``hyperlexicon serve``; the OpenAPI schema is at
``/openapi.json`` and interactive docs at ``/docs``.
"""

from __future__ import annotations

import importlib
from contextlib import asynccontextmanager, suppress
from typing import Any

from ..config import Settings
from ..errors import ConfigError

# what the ``server`` extra installs, by the name each is imported as (python-multipart is
# ``python_multipart``; fastapi-offline ships the API docs' scripts and styles)
EXTRA = ("fastapi", "uvicorn", "jinja2", "python_multipart", "fastapi_offline")


def require_extra() -> None:
    """Refuse to start, in one line, when the ``server`` extra is not installed: without it
    the first request (or the start itself) would fail with a traceback naming a module the
    user never asked for."""
    missing = []
    for name in EXTRA:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ConfigError(
            f"the server needs the 'server' extra ({', '.join(missing)} not installed): "
            "pip install 'hyperlexicon[server]'"
        )


def create_app(
    settings: Settings | None = None, *, host: str = "127.0.0.1", warm: bool = False
) -> Any:
    """The service's ASGI app. ``warm``: load the default lexicon's encode before serving and
    freeze what start-up made (``Service.warm``), as ``serve`` does; an app made in another
    program's process (a test's client) leaves that process's collector alone."""
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware

    from ..version import __version__
    from . import api, problems, ws
    from .security import check_binding
    from .service import Service

    service = Service(settings or Settings.load(), host=host)
    check_binding(host, service.tokens)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        if warm:  # before uvicorn listens: ready when it answers
            service.warm()
        # (then the threads: a resumed job's imports no longer race the warm's)
        service.start()
        yield
        service.stop()

    app = FastAPI(
        title="hyperlexicon",
        version=__version__,
        summary="HyperBridge: a versioned hyperlexeme dictionary and a translator to hyperscenes.",
        description=(
            "Every route acts on one lexicon (`?lexicon=`, default `core`). Errors are RFC 9457 "
            "problems. With tokens, send `Authorization: Bearer <token>`. The WebSocket `/ws` "
            "(dialogues) is described in docs/service.md. These docs load nothing from "
            "anywhere but this server."
        ),
        lifespan=lifespan,
        docs_url=None,  # served offline by docs.install
        redoc_url=None,
    )
    app.state.service = service
    problems.install(app)
    problems.document(app)
    app.add_middleware(BodyLimit, service=service)
    if service.cors:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=service.cors,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "X-Total-Count"],
        )
    app.include_router(api.router)
    app.add_api_websocket_route("/ws", ws.endpoint)
    from . import web  # the page at / (templates, static files, its REST additions)

    web.install(app)
    from . import docs  # /docs and /redoc with local assets; every operation documented

    docs.install(app)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Whether the process is up.

        Answers as long as the server runs; says nothing of the database (see ``/ready``)."""
        return {"status": "ok"}

    @app.get("/ready", tags=["health"], responses={503: {"model": problems.Problem}})
    def ready() -> dict[str, Any]:
        """Whether the server can serve, and which server answered.

        The database answers and is at the current schema; 503 with the reason otherwise.
        ``server`` is this server's id (``HYPERLEXICON_SERVER_ID``), so that behind a load
        balancer a health check tells the servers apart."""
        try:
            service.store.check_schema()
            lexicons = len(service.store.lexicons())
        except Exception as exc:  # not ready is an answer, not a crash
            raise problems.ProblemError(503, f"not ready: {str(exc).splitlines()[0]}") from None
        return {"status": "ready", "lexicons": lexicons, "server": service.id}

    return app


class BodyLimit:
    """Refuse request bodies over the service's ``max_body`` bytes with 413, whether or not
    they announce their length, before any of it reaches a route."""

    def __init__(self, app: Any, service: Any) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = int(self.service.max_body)  # read per request: a setting, not a constant
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._refuse(scope, send, limit)
            return
        seen, tripped, started = 0, False, False

        async def limited() -> dict[str, Any]:
            nonlocal seen, tripped
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    tripped = True
                    raise _TooLarge
            return message

        async def guarded(message: dict[str, Any]) -> None:
            # what the app answers to a body it could not read (FastAPI turns the error into
            # 400 "error parsing the body") is replaced by the 413 below
            nonlocal started
            if tripped:
                return
            started = True
            await send(message)

        with suppress(_TooLarge):
            await self.app(scope, limited, guarded)
        if tripped and not started:
            await self._refuse(scope, send, limit)

    async def _refuse(self, scope: dict[str, Any], send: Any, limit: int) -> None:
        from .problems import problem

        response = problem(413, f"request body over {limit} bytes")
        await response(scope, None, send)


class _TooLarge(Exception):
    pass


def serve(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 8765, warm: bool = True
) -> None:
    require_extra()
    import uvicorn

    app = create_app(settings, host=host, warm=warm)
    uvicorn.run(app, host=host, port=port, log_level="info", ws_ping_interval=None)
