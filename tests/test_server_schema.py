"""schemathesis against the served OpenAPI schema, on a seeded lexicon with local no-token
access (the local user is admin, so every operation is reachable): no 5xx on any generated
request, and every response conforms to the schema (status code documented, content type,
body, headers, Allow on 405), invalid input is refused.

Not checked: that every schema-valid request is accepted (``positive_data_acceptance``). The
schema says what a JSON body may look like; the domain says more than JSON Schema can (a
form must have a visible character and no control characters, a version name must not be
``working``, a connector must be installed, a HyperPrompt must parse), and those requests are
rightly refused with a 422 problem.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hyperlexicon.config import Settings
from hyperlexicon.server import create_app

from .test_server_api import server_template  # noqa: F401  (the seeded home, built once)


def _app(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    home = tmp_path / "home"
    shutil.copytree(request.getfixturevalue("server_template"), home)
    monkeypatch.setenv("HYPERLEXICON_HOME", str(home))
    monkeypatch.setenv("HYPERLEXICON_RATE", "100000")  # generated traffic is not abuse
    monkeypatch.setenv("HYPERLEXICON_BURST", "100000")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return create_app(Settings.load(home=str(home), auto_index=True))


@pytest.fixture
def api_schema(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    from schemathesis.python import asgi

    schema = schemathesis.openapi.from_asgi("/openapi.json", _app(request, tmp_path, monkeypatch))
    yield schema
    asgi.shutdown_lifespans()  # stop the app (and its job workers) before the home goes


@pytest.fixture(autouse=True)
def _node_id_shim(request: pytest.FixtureRequest) -> None:
    """schemathesis 4's lazy loader reads ``Node._nodeid``, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


def test_errors_are_documented_as_problem_details(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(_app(request, tmp_path, monkeypatch)) as client:
        doc = client.get("/openapi.json").json()
        assert client.get("/docs").status_code == 200
    operations = [
        (path, method, op)
        for path, ops in doc["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in ops.items()
    ]
    assert len(operations) > 30
    for path, method, op in operations:
        for status in ("401", "403", "422", "429"):
            content = op["responses"][status]["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)
            assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
    bridge = [op for path, _, op in operations if path.rsplit("/", 1)[-1] in ("encode", "decode")]
    assert bridge and all("502" in op["responses"] for op in bridge)
    export = doc["paths"]["/api/v1/export"]["get"]["responses"]["200"]["content"]
    assert {"application/x-ndjson", "application/yaml", "text/csv"} <= set(export)
