"""The API's documentation: ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served offline, and
an OpenAPI document in which every operation has a summary, a description and a request
example.

FastAPI's own docs pages load Swagger UI, ReDoc and a favicon from CDNs (and ReDoc's fonts
from Google): offline they are blank. Here the same pages load the scripts and styles the
``fastapi-offline`` package ships (MIT, in the ``server`` extra) from this server, ask
Swagger UI not to call its online validator, and point the one image ReDoc's script takes
from its CDN (its logo) at this server; the pages' Content-Security-Policy allows nothing
from elsewhere either.

Each operation's summary is the first paragraph of its route's docstring and its description
the rest. Its request example is: an ``example`` for every path parameter and required query
parameter (``PARAMETER_EXAMPLES``), the body model's first example as the request body's
``example``, and an ``x-codeSamples`` curl line built from them (ReDoc shows it; Swagger UI's
"Try it out" starts from the same values).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"  # (not under /static: the page's mount there would shadow it)
BASE = "http://127.0.0.1:8765"
# the docs pages run their one inline script and style; everything else from this server
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
# what a parameter stands for, by its name (and by path for names two routes use apart)
PARAMETER_EXAMPLES: dict[str, Any] = {
    "form": "🜂",
    "name": "seed-core-1",
    "revision_id": 1,
    "query_id": 1,
    "proposal_id": 1,
    "job_id": "2f1c9e0a7b3d4c5e8f6a1b2c3d4e5f60",
    "dialogue_id": "6c0f3a52-9d1e-4b7a-8f26-1e5d0c9b7a43",
    "q": "огонь",
    "a": "seed-core-1",
}
PATH_EXAMPLES: dict[tuple[str, str], Any] = {("/api/v1/lexicons/{name}", "name"): "poems"}
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
MULTIPART_EXAMPLES: dict[str, dict[str, Any]] = {
    "/api/v1/import": {"file": "core.jsonl", "on_conflict": "skip", "reason": "from a file"}
}


def assets_dir() -> Path:
    """Where the installed ``fastapi-offline`` keeps Swagger UI's and ReDoc's files."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    """``/docs``, ``/redoc`` and their assets on ``app`` (created with ``docs_url=None`` and
    ``redoc_url=None``), and the enriched ``/openapi.json``."""
    title = str(app.title)
    favicon = f"{ASSETS}/favicon.png"
    redoc_js: list[bytes] = []

    @app.get(f"{ASSETS}/redoc.standalone.js", include_in_schema=False)
    def redoc_script() -> Response:
        """ReDoc's script with the one thing it fetches from elsewhere (its logo, from its
        CDN) pointed at this server's favicon; read once."""
        if not redoc_js:
            script = (assets_dir() / "redoc.standalone.js").read_bytes()
            redoc_js.append(script.replace(REDOC_LOGO, favicon.encode()))
        return Response(
            redoc_js[0],
            media_type="text/javascript",
            headers={"Cache-Control": "max-age=86400"},
        )

    app.mount(ASSETS, StaticFiles(directory=assets_dir()), name="api-docs")
    redirect = "/docs/oauth2-redirect"

    def page(response: HTMLResponse) -> HTMLResponse:
        response.headers["Content-Security-Policy"] = DOCS_CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return page(
            get_swagger_ui_html(
                openapi_url=str(app.openapi_url),
                title=f"{title}: API (Swagger UI)",
                swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS}/swagger-ui.css",
                swagger_favicon_url=favicon,
                oauth2_redirect_url=redirect,
                # the online validator's badge would be a request to another host
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get(redirect, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return page(get_swagger_ui_oauth2_redirect_html())

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return page(
            get_redoc_html(
                openapi_url=str(app.openapi_url),
                title=f"{title}: API (ReDoc)",
                redoc_js_url=f"{ASSETS}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            )
        )

    enrich(app)


def enrich(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so every operation gets its summary, description and request
    example (computed once, like FastAPI's own schema)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.get("components", {}).get("schemas", {})
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                # FastAPI's description of an operation is its route's docstring, whole
                _describe(operation, operation.get("description", ""))
                _examples(path, operation, components)
                operation["x-codeSamples"] = [
                    {"lang": "Shell", "label": "curl", "source": curl(path, method, operation)}
                ]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _describe(operation: dict[str, Any], doc: str) -> None:
    """Summary: the docstring's first paragraph; description: the rest."""
    paragraphs = [" ".join(p.split()) for p in _dedent(doc).split("\n\n") if p.strip()]
    if paragraphs:
        operation["summary"] = paragraphs[0].rstrip(".")
        rest = "\n\n".join(paragraphs[1:])
        if rest:
            operation["description"] = rest
        else:
            operation.pop("description", None)


def _dedent(doc: str) -> str:
    import inspect

    return inspect.cleandoc(doc)


def _examples(path: str, operation: dict[str, Any], components: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", ()):
        name = parameter["name"]
        wanted = parameter.get("in") == "path" or parameter.get("required")
        example = PATH_EXAMPLES.get((path, name), PARAMETER_EXAMPLES.get(name))
        if wanted and example is not None and "example" not in parameter:
            parameter["example"] = example
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        if "example" in content:
            continue
        if media == "multipart/form-data" and path in MULTIPART_EXAMPLES:
            content["example"] = MULTIPART_EXAMPLES[path]
            continue
        ref = content.get("schema", {}).get("$ref", "")
        model = components.get(ref.rsplit("/", 1)[-1], {})
        if model.get("examples"):
            content["example"] = model["examples"][0]


def curl(path: str, method: str, operation: dict[str, Any]) -> str:
    """The operation as one curl command, with its parameters' and body's examples."""
    url = path
    query: dict[str, Any] = {}
    headers: list[str] = []
    for parameter in operation.get("parameters", ()):
        example = parameter.get("example")
        if example is None:
            continue
        if parameter.get("in") == "path":
            url = url.replace("{" + parameter["name"] + "}", quote(str(example), safe=""))
        elif parameter.get("in") == "query":
            query[parameter["name"]] = example
    if any(p["name"] == "if-match" for p in operation.get("parameters", ())):
        headers.append('If-Match: "1-1"')  # the entry's ETag, from GET
    if query:
        url += "?" + urlencode(query)
    parts = ["curl", "-X", method.upper(), shlex.quote(BASE + url)]
    for header in headers:
        parts += ["-H", shlex.quote(header)]
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        example = content.get("example")
        if example is None:
            continue
        if media == "application/json":
            parts += ["-H", "'Content-Type: application/json'"]
            parts += ["-d", shlex.quote(json.dumps(example, ensure_ascii=False))]
        elif media == "multipart/form-data":
            for key, value in example.items():
                field = f"{key}=@{value}" if key == "file" else f"{key}={value}"
                parts += ["-F", shlex.quote(field)]
        break
    return " ".join(parts)
