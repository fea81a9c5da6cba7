"""The REST API through the real app (FastAPI's TestClient on ``create_app``): the real SQLite
store, the real Chroma index and embedder, the real connectors (Claude against the local
Messages API server in tests/peers). Roles against every endpoint class, ETags, problem
details, CORS, binding, API keys, images, import and export in every format, HyperPrompt."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hyperlexicon import calibration
from hyperlexicon.config import Settings
from hyperlexicon.errors import ConfigError
from hyperlexicon.keys import KeyStore
from hyperlexicon.lexicon import Lexicon
from hyperlexicon.server import create_app
from tests.peers.messages_api import MessagesAPI

API = "/api/v1"
PROBLEM = "application/problem+json"
FINAL = ("done", "failed", "cancelled", "interrupted")
TOKENS = {
    "reader": "reader-token-3f9c0a1b2d",
    "editor": "editor-token-8e7d6c5b4a",
    "admin": "admin-token-1a2b3c4d5e6f",
}
CLAUDE_KEY = "sk-ant-api03-servertest-5b8e1f0c7d2a"
# a 1x1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def server_template(
    tmp_path_factory: pytest.TempPathFactory, _seeded_sqlite_template: Path
) -> Path:
    """A home with the seeded core lexicon, its index, logged queries, an edit after the seed
    version and two open proposals (copied for each test)."""
    home = tmp_path_factory.mktemp("server") / "home"
    home.mkdir()
    shutil.copy(_seeded_sqlite_template, home / "lexicon.sqlite3")
    lex = Lexicon(Settings.load(home=str(home), auto_index=True, author="seeder"))
    try:
        lex.rebuild_index()
        lex.encode("Что ты чувствуешь перед бурей?", stability=False)
        for n in range(3):  # a fused word in three queries: a compound proposal
            lex.encode(f"тишинастрах {n}", stability=False)
        scene = lex.encode("квартира", stability=False)  # a correction: another proposal
        lex.feedback(scene.query_id, "correct", span="квартира", correction="жилище")
        lex.edit("🜂", weight=0.42, reason="after the seed version")
        assert len(calibration.proposals(lex.workspace)) >= 2
    finally:
        lex.close()
    return home


@pytest.fixture
def home(server_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "home"
    shutil.copytree(server_template, target)
    monkeypatch.setenv("HYPERLEXICON_HOME", str(target))
    monkeypatch.setenv("HYPERLEXICON_RATE", "1000")  # the rate-limit tests set their own
    monkeypatch.setenv("HYPERLEXICON_BURST", "1000")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return target


def make_app(home: Path, **kwargs: Any) -> Any:
    return create_app(Settings.load(home=str(home), auto_index=True), **kwargs)


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with TestClient(make_app(home)) as c:
        yield c


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv(
        "HYPERLEXICON_API_TOKENS", ",".join(f"{t}={role}:{role}-user" for role, t in TOKENS.items())
    )
    return TOKENS


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesAPI]:
    """The local Messages API server, and the claude connector pointed at it."""
    with MessagesAPI(CLAUDE_KEY) as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", CLAUDE_KEY)
        monkeypatch.setenv("HYPERLEXICON_CLAUDE_BASE_URL", api.url)
        monkeypatch.setenv("HYPERLEXICON_CLAUDE_MODEL", "fake-hyperbridge")
        monkeypatch.setenv("HYPERLEXICON_CLAUDE_TIMEOUT", "5")
        yield api


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem(response: Any, status: int) -> dict[str, Any]:
    """An RFC 9457 problem with this status, and no stack trace in it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank" and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def wait_job(client: TestClient, job: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    deadline = time.monotonic() + 120
    while True:
        current = client.get(f"{API}/jobs/{job['id']}", headers=headers or {}).json()
        if current["state"] in FINAL:
            return current
        assert time.monotonic() < deadline, current
        time.sleep(0.05)


def snapshot(client: TestClient) -> dict[str, Any]:
    """Everything a write could change, read from the store (not over HTTP)."""
    svc = client.app.state.service
    lex = svc.lexicon("core")
    entries = io.BytesIO()
    lex.export_stream(entries, format="jsonl")
    stats = lex.stats(all_lexicons=True)["lexicons"]
    for s in stats.values():
        s.pop("outbox_pending", None)
    return {
        "entries": entries.getvalue(),
        "stats": stats,
        "versions": [v.to_dict() for v in lex.versions()],
        "proposals": [
            p.to_dict() for p in calibration.proposals(lex.workspace, status=None, limit=1000)
        ],
        "calibration": calibration.report(lex.workspace),
        "queries": [q.id for q in lex.queries(limit=1000)],
        "jobs": [j.id for j in svc.jobs.list(limit=1000)],
    }


def open_proposal(client: TestClient) -> int:
    lex = client.app.state.service.lexicon("core")
    return calibration.proposals(lex.workspace)[0].id


def a_query(client: TestClient) -> int:
    return client.app.state.service.lexicon("core").queries(limit=1)[0].id


def etag_of(client: TestClient, form: str) -> str:
    stored = client.app.state.service.lexicon("core").get(form)
    return f'"{stored.id}-{stored.row_version}"'


# --- 1. roles against every endpoint class ----------------------------------------------------


@dataclass
class Call:
    name: str
    role: str  # the least role that may make it
    method: str
    path: str | Callable[[TestClient], str]
    kwargs: Callable[[TestClient], dict[str, Any]] = lambda c: {}
    write: bool = True
    status: int = 200
    job: bool = False  # 202 with a job to wait for
    check: Callable[[TestClient, Any], None] | None = None
    marks: list[Any] = field(default_factory=list)


NEW_ENTRY = {"form": "🜅", "glosses": {"ru": ["вода"], "en": ["water"]}, "registers": ["poetic"]}
IMPORT_FILE = (
    b'{"hyperlexicon": 1, "lexicon": "core"}\n'
    + json.dumps({"form": "🝆", "glosses": {"en": ["salt"], "ru": ["соль"]}}).encode()
    + b"\n"
)


def _encoded_by_claude(client: TestClient, response: Any) -> None:
    assert response.json()["connector"] == "claude"


def _entry_created(client: TestClient, response: Any) -> None:
    assert client.app.state.service.lexicon("core").get("🜅").data.glosses["en"] == ("water",)


CALLS = [
    # read
    Call("get entry", "reader", "GET", f"{API}/entries/🜂", write=False),
    Call("search", "reader", "GET", f"{API}/search?q=огонь", write=False),
    Call("versions", "reader", "GET", f"{API}/versions", write=False),
    Call("export", "reader", "GET", f"{API}/export?format=jsonl", write=False),
    # bridge (encode and decode log the query: a write a reader may make)
    Call("encode", "reader", "POST", f"{API}/encode", lambda c: {"json": {"text": "огонь"}}),
    Call(
        "decode",
        "reader",
        "POST",
        f"{API}/decode",
        lambda c: {"json": {"hyperstring": "🜂⧖🕯", "style": "formula", "lang": "en"}},
    ),
    # editor
    Call(
        "create entry",
        "editor",
        "POST",
        f"{API}/entries",
        lambda c: {"json": NEW_ENTRY},
        status=201,
        check=_entry_created,
    ),
    Call(
        "patch entry",
        "editor",
        "PATCH",
        f"{API}/entries/🜂",
        lambda c: {"json": {"weight": 0.9}, "headers": {"If-Match": etag_of(c, "🜂")}},
    ),
    Call(
        "feedback",
        "editor",
        "POST",
        f"{API}/feedback",
        lambda c: {"json": {"query_id": a_query(c), "kind": "accept"}},
        status=201,
    ),
    Call(
        "accept proposal", "editor", "POST", lambda c: f"{API}/proposals/{open_proposal(c)}/accept"
    ),
    Call(
        "reject proposal", "editor", "POST", lambda c: f"{API}/proposals/{open_proposal(c)}/reject"
    ),
    Call(
        "edit proposal",
        "editor",
        "PATCH",
        lambda c: f"{API}/proposals/{open_proposal(c)}",
        lambda c: {"json": {"registers": ["poetic"]}},
    ),
    # admin
    Call(
        "import",
        "admin",
        "POST",
        f"{API}/import",
        lambda c: {"files": {"file": ("salt.jsonl", IMPORT_FILE, "application/x-ndjson")}},
        status=202,
        job=True,
    ),
    Call("rollback", "admin", "POST", f"{API}/versions/seed-core-1/rollback"),
    Call(
        "calibrate",
        "admin",
        "POST",
        f"{API}/calibrate",
        lambda c: {"json": {}},
        status=202,
        job=True,
    ),
    Call("rebuild index", "admin", "POST", f"{API}/index/rebuild", status=202, job=True),
    Call(
        "paid connector",
        "admin",
        "POST",
        f"{API}/encode",
        lambda c: {"json": {"text": "огонь и буря", "connectors": ["claude"]}},
        check=_encoded_by_claude,
    ),
]
WHO = ["nobody", "wrong token", "reader", "editor", "admin"]
RANK = {"reader": 0, "editor": 1, "admin": 2}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("call", CALLS, ids=[c.name for c in CALLS])
def test_roles_against_endpoint_classes(
    home: Path, tokens: dict[str, str], claude: MessagesAPI, call: Call, who: str
) -> None:
    headers = {
        "nobody": {},
        "wrong token": bearer("not-a-token-but-long-enough"),
        **{role: bearer(t) for role, t in tokens.items()},
    }[who]
    with TestClient(make_app(home)) as client:
        path = call.path(client) if callable(call.path) else call.path
        kwargs = call.kwargs(client)
        kwargs["headers"] = {**kwargs.get("headers", {}), **headers}
        before = snapshot(client)
        requests_before = len(claude.requests)
        response = client.request(call.method, path, **kwargs)
        if who in ("nobody", "wrong token"):
            problem(response, 401)
            assert response.headers["www-authenticate"] == "Bearer"
        elif RANK[who] < RANK[call.role]:
            assert call.role in problem(response, 403)["detail"]
        else:
            assert response.status_code == call.status, response.text
            if call.job:
                assert wait_job(client, response.json(), headers)["state"] == "done"
            if call.check:
                call.check(client, response)
            if call.write:
                assert snapshot(client) != before  # so "unchanged" below can tell
            return
        # refused: nothing changed, and no paid call went out
        assert snapshot(client) == before
        assert len(claude.requests) == requests_before


def test_a_malformed_authorization_header_is_401(home: Path, tokens: dict[str, str]) -> None:
    with TestClient(make_app(home)) as client:
        for value in (f"Basic {TOKENS['admin']}", TOKENS["admin"], "Bearer ", "Bearer  x"):
            problem(client.get(f"{API}/entries/🜂", headers={"Authorization": value}), 401)
        assert client.get(f"{API}/entries/🜂", headers=bearer(TOKENS["reader"])).status_code == 200


def test_named_tokens_are_the_recorded_author(home: Path, tokens: dict[str, str]) -> None:
    with TestClient(make_app(home)) as client:
        r = client.patch(
            f"{API}/entries/🜂",
            json={"weight": 0.7},
            headers={"If-Match": etag_of(client, "🜂"), **bearer(TOKENS["editor"])},
        )
        assert r.status_code == 200, r.text
        history = client.get(f"{API}/entries/🜂/history", headers=bearer(TOKENS["reader"])).json()
        assert history[0]["author"] == "editor-user"


def test_without_tokens_the_local_user_is_admin(client: TestClient, claude: MessagesAPI) -> None:
    r = client.post(f"{API}/encode", json={"text": "огонь", "connectors": ["claude"]})
    assert r.status_code == 200 and r.json()["connector"] == "claude"
    job = client.post(f"{API}/index/rebuild").json()
    assert wait_job(client, job)["state"] == "done"
    assert job["author"] == "local"


# --- 2. optimistic concurrency ----------------------------------------------------------------


def _change(method: str) -> dict[str, Any]:
    if method == "PATCH":
        return {"json": {"weight": 0.11, "notes": "changed"}}
    if method == "PUT":
        return {"json": {"form": "🜂", "glosses": {"ru": ["пламя"], "en": ["flame"]}}}
    return {}


def _concurrency(client: TestClient, method: str) -> None:
    url = f"{API}/entries/🜂"
    first = client.get(url)
    etag, before = first.headers["etag"], first.json()
    assert etag == f'"{before["id"]}-{before["row_version"]}"'
    history = client.get(f"{url}/history").json()

    problem(client.request(method, url, **_change(method)), 428)
    stale = f'"{before["id"]}-{before["row_version"] - 1}"'
    r = client.request(method, url, headers={"If-Match": stale}, **_change(method))
    body = problem(r, 412)
    # said as the library says it (a remote client prints the same), with the current ETag
    assert body["detail"].startswith("stale edit refused: entry '🜂' is at version")
    assert r.headers["etag"] == etag
    for refused in ('"999999-1"', "garbage", ""):
        problem(client.request(method, url, headers={"If-Match": refused}, **_change(method)), 412)
    assert client.get(url).json() == before  # refused requests changed nothing
    assert client.get(url).headers["etag"] == etag
    assert client.get(f"{url}/history").json() == history

    r = client.request(method, url, headers={"If-Match": etag}, **_change(method))
    if method == "DELETE":
        assert r.status_code == 204, r.text
        problem(client.get(url), 404)
        assert client.get(f"{url}/history").json()[0]["op"] == "delete"
        problem(client.request(method, url, headers={"If-Match": etag}), 404)
        return
    assert r.status_code == 200, r.text
    new = r.headers["etag"]
    assert new != etag and new == client.get(url).headers["etag"]
    assert r.json()["row_version"] == before["row_version"] + 1
    after = client.get(url).json()
    # the old ETag is now stale: a second writer holding it is refused, the first's edit stays
    problem(client.request(method, url, headers={"If-Match": etag}, **_change(method)), 412)
    assert client.get(url).json() == after
    # a weak tag or a list with the current one also matches
    r = client.patch(url, headers={"If-Match": f'W/"0-0", W/{new}'}, json={"notes": "weak"})
    assert r.status_code == 200, r.text
    # and * matches whatever the entry is at
    r = client.patch(url, headers={"If-Match": "*"}, json={"notes": "any"})
    assert r.status_code == 200 and r.json()["notes"] == "any"


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
def test_if_match_is_required_and_checked(client: TestClient, method: str) -> None:
    _concurrency(client, method)


@pytest.mark.postgres
@pytest.mark.slow
def test_if_match_on_postgresql(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERLEXICON_RATE", "1000")
    settings = Settings.load(home=str(tmp_path / "pg-home"), db_url=pg_url, auto_index=True)
    lex, _ = Lexicon.init(settings, seed="core")
    lex.close()
    with TestClient(create_app(settings)) as client:
        _concurrency(client, "PATCH")


def test_create_answers_with_etag_and_location(client: TestClient) -> None:
    r = client.post(f"{API}/entries", json=NEW_ENTRY)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"{API}/entries/%F0%9F%9C%85?lexicon=core"  # 🜅
    assert r.headers["etag"] == f'"{r.json()["id"]}-1"'
    assert client.get(r.headers["location"]).headers["etag"] == r.headers["etag"]


def test_components_in_their_notation_and_a_fused_meaning_refused(client: TestClient) -> None:
    url = f"{API}/entries/{'🜂⧖🕯'}"
    current = client.get(url)
    record = current.json()
    history = len(client.get(f"{url}/history").json())
    # the notation the web page sends: one string a component, read by the library's parser
    body = {k: record[k] for k in ("form", "kind", "glosses", "registers", "weight", "status")}
    body["components"] = [
        (f"{c['lang']}:" if c.get("lang") else "")
        + c["meaning"]
        + (f"@{c['ref']}" if c.get("ref") else "")
        for c in record["components"]
    ]
    body.update(provenance=record["provenance"], notes=record.get("notes", ""))
    body["examples"] = record.get("examples", [])
    r = client.put(url, json=body, headers={"If-Match": current.headers["ETag"]})
    assert r.status_code == 200, r.text
    assert r.json()["components"] == record["components"]
    assert r.headers["ETag"] == current.headers["ETag"]  # unchanged: no new revision
    assert len(client.get(f"{url}/history").json()) == history
    # what the old page sent: three components fused into one meaning
    fused = dict(
        body, components=[{"lang": "ru", "meaning": "огонь@🜂ru:время@⧖ru:свеча", "ref": "🕯"}]
    )
    p = problem(client.put(url, json=fused, headers={"If-Match": current.headers["ETag"]}), 422)
    assert "components[0]" in p["detail"] and "one component each" in p["detail"]
    p = problem(
        client.patch(
            url,
            json={"components": ["ru:огонь@🜂ru:время@⧖ru:свеча@🕯"]},
            headers={"If-Match": current.headers["ETag"]},
        ),
        422,
    )
    assert "'ru:'" in p["detail"]
    assert client.get(url).json() == record


def test_the_edit_form_holds_every_seed_entry_as_it_is(client: TestClient) -> None:
    """The form parser alone: the edit form's text areas, read back the way the page sends
    them, give every seed entry's glosses, components and examples unchanged."""
    import html
    import re
    from urllib.parse import quote

    from hyperlexicon.entry import EntryData

    entries = client.get(f"{API}/entries", params={"limit": 1000}).json()
    assert len(entries) >= 140
    multi = 0
    for record in entries:
        page = client.get("/ui/entry-form", params={"form": record["form"]}).text
        areas = {
            name: html.unescape(text)
            for name, text in re.findall(
                r'<textarea[^>]* name="(\w+)"[^>]*>(.*?)</textarea>', page, re.S
            )
        }
        glosses: dict[str, list[str]] = {}
        for line in filter(None, (x.strip() for x in areas["glosses"].split("\n"))):
            lang, _, text = line.partition(":")
            glosses.setdefault(lang.strip().lower(), []).append(text.strip())
        components = [x.strip() for x in areas["components"].split("\n") if x.strip()]
        examples = [x.strip() for x in areas["examples"].split("\n") if x.strip()]
        data = EntryData.from_dict(
            {
                "form": record["form"],
                "glosses": glosses,
                "components": components,
                "examples": examples,
            }
        )
        want = EntryData.from_dict(
            {k: record[k] for k in ("form", "glosses", "components", "examples") if k in record}
        )
        assert (data.glosses, data.components, data.examples) == (
            want.glosses,
            want.components,
            want.examples,
        ), quote(record["form"])
        multi += len(data.components) >= 2
    assert multi >= 20  # entries with several components are most at risk


# --- 3. problem details -----------------------------------------------------------------------


def test_unknown_entry_is_404(client: TestClient) -> None:
    body = problem(client.get(f"{API}/entries/🆕"), 404)
    assert "🆕" in body["detail"] and body["instance"] == f"{API}/entries/🆕"
    problem(client.get(f"{API}/entries/🆕/history"), 404)
    problem(client.get(f"{API}/entries/🜂?lexicon=nosuch"), 404)
    problem(client.get(f"{API}/jobs/no-such-job"), 404)
    problem(client.post(f"{API}/proposals/999999/accept"), 404)
    problem(client.get(f"{API}/queries/999999"), 404)


@pytest.mark.parametrize(
    "method, path, body, field",
    [
        ("POST", "/entries", {"form": "🜅", "weight": 7}, "weight"),
        ("POST", "/entries", {"form": "🜅", "registers": ["angry"]}, "registers"),
        ("POST", "/entries", {"glosses": {"en": ["x"]}}, "form"),
        ("POST", "/entries", {"form": "   "}, "form"),
        ("POST", "/entries", {"form": "🜅", "weight": "0.5"}, "weight"),
        ("POST", "/decode", {}, "hyperstring"),
        ("POST", "/decode", {"hyperstring": "🜂", "style": "sonnet"}, "style"),
        ("POST", "/encode", {"text": 5}, "text"),
        ("POST", "/encode", {"text": "огонь", "connectors": ["no-such"]}, "connectors"),
        ("POST", "/feedback", {"query_id": 1, "kind": "love"}, "kind"),
        ("POST", "/feedback", {"query_id": 1, "kind": "rate", "rating": 9}, "rating"),
        ("POST", "/calibrate", {"folds": 1}, "folds"),
        ("POST", "/versions", {"name": "working"}, "version name"),
        ("POST", "/lexicons", {"name": "Bad Name"}, "name"),
        ("GET", "/search", None, "q"),
        ("GET", "/entries?limit=0", None, "limit"),
        ("GET", "/entries?lexicon=Bad%20Name", None, "lexicon"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, method: str, path: str, body: Any, field: str
) -> None:
    before = snapshot(client)
    detail = problem(client.request(method, f"{API}{path}", json=body), 422)["detail"]
    assert field in detail
    assert snapshot(client) == before


def test_an_empty_patch_is_422(client: TestClient) -> None:
    r = client.patch(f"{API}/entries/🜂", json={}, headers={"If-Match": etag_of(client, "🜂")})
    assert "nothing to change" in problem(r, 422)["detail"]


def test_malformed_json_is_400(client: TestClient) -> None:
    r = client.post(
        f"{API}/entries", content=b'{"form": ', headers={"content-type": "application/json"}
    )
    problem(r, 400)


def test_duplicate_create_is_409(client: TestClient) -> None:
    before = snapshot(client)
    body = problem(client.post(f"{API}/entries", json={"form": "🜂", "kind": "glyph"}), 409)
    assert "🜂" in body["detail"]
    assert snapshot(client) == before
    assert client.post(f"{API}/lexicons", json={"name": "extra"}).status_code == 201
    problem(client.post(f"{API}/lexicons", json={"name": "extra"}), 409)
    assert client.post(f"{API}/versions", json={"name": "v1"}).status_code == 201
    problem(client.post(f"{API}/versions", json={"name": "v1"}), 409)


def test_method_not_allowed_names_every_method(client: TestClient) -> None:
    r = client.delete(f"{API}/lexicons")
    problem(r, 405)
    assert set(r.headers["allow"].split(", ")) == {"GET", "POST"}
    r = client.post(f"{API}/entries/🜂")
    problem(r, 405)
    assert set(r.headers["allow"].split(", ")) == {"GET", "PUT", "PATCH", "DELETE"}


def test_oversized_bodies_are_413(client: TestClient) -> None:
    client.app.state.service.max_body = 2000
    before = snapshot(client)
    big = {**NEW_ENTRY, "notes": "n" * 3000}
    body = problem(client.post(f"{API}/entries", json=big), 413)
    assert "2000" in body["detail"]
    # a body that does not announce its length is counted as it arrives
    data = json.dumps(big).encode()
    chunks = (data[i : i + 500] for i in range(0, len(data), 500))
    r = client.post(f"{API}/entries", content=chunks, headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    problem(r, 413)
    files = {"file": ("big.jsonl", IMPORT_FILE + b"\n" * 3000, "application/x-ndjson")}
    problem(client.post(f"{API}/import", files=files), 413)
    assert snapshot(client) == before
    # under the cap, the same route works, chunked or not
    small = json.dumps(NEW_ENTRY).encode()
    r = client.post(
        f"{API}/entries",
        content=iter([small[:10], small[10:]]),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 201, r.text


def test_max_body_comes_from_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERLEXICON_MAX_BODY", "1500")
    with TestClient(make_app(home)) as client:
        problem(client.post(f"{API}/entries", json={**NEW_ENTRY, "notes": "n" * 2000}), 413)
        assert client.post(f"{API}/entries", json=NEW_ENTRY).status_code == 201


def test_rate_limit_is_429_per_token(
    home: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERLEXICON_RATE", "0.01")
    monkeypatch.setenv("HYPERLEXICON_BURST", "3")
    with TestClient(make_app(home)) as client:
        reader = bearer(TOKENS["reader"])
        for _ in range(3):
            assert client.get(f"{API}/entries/🜂", headers=reader).status_code == 200
        r = client.get(f"{API}/entries/🜂", headers=reader)
        assert "rate limit" in problem(r, 429)["detail"]
        assert int(r.headers["retry-after"]) >= 1
        # the limit is per token: another one is not held back by the reader's
        assert client.get(f"{API}/entries/🜂", headers=bearer(TOKENS["editor"])).status_code == 200
        # and a refused write is refused before it runs
        before = snapshot(client)
        r = client.post(f"{API}/encode", json={"text": "огонь"}, headers=reader)
        problem(r, 429)
        assert snapshot(client) == before


def test_rate_limit_without_tokens(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERLEXICON_RATE", "0.01")
    monkeypatch.setenv("HYPERLEXICON_BURST", "2")
    with TestClient(make_app(home)) as client:
        assert [client.get(f"{API}/versions").status_code for _ in range(3)] == [200, 200, 429]


def test_an_unexpected_error_is_a_bare_500(home: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(home)

    def boom() -> None:
        raise RuntimeError("internal detail: /secret/path")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom")
    body = problem(r, 500)
    assert "secret" not in r.text and "RuntimeError" not in r.text
    assert body["detail"] == "the server could not complete the request"
    [record] = [r for r in caplog.records if r.name == "hyperlexicon.server" and r.exc_info]
    assert record.exc_info and "secret" in str(record.exc_info[1])  # the details go to the log


def test_not_found_route_is_a_problem(client: TestClient) -> None:
    problem(client.get(f"{API}/nothing-here"), 404)


# --- 4. CORS ----------------------------------------------------------------------------------


ORIGIN = "https://lexicon.example"


def test_cors_is_off_by_default(client: TestClient) -> None:
    r = client.get(f"{API}/entries/🜂", headers={"Origin": ORIGIN})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    r = client.options(
        f"{API}/entries/🜂",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PATCH"},
    )
    assert "access-control-allow-origin" not in r.headers
    assert r.status_code == 405


def test_cors_when_configured(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERLEXICON_CORS_ORIGINS", f"{ORIGIN}, https://other.example")
    with TestClient(make_app(home)) as client:
        r = client.get(f"{API}/entries/🜂", headers={"Origin": ORIGIN})
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert "etag" in r.headers["access-control-expose-headers"].lower()
        r = client.options(
            f"{API}/entries/🜂",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "if-match, authorization",
            },
        )
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ORIGIN
        r = client.get(f"{API}/entries/🜂", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


# --- 5. binding -------------------------------------------------------------------------------


def test_a_public_address_needs_tokens(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"refusing to serve on 0\.0\.0\.0 without tokens"):
        make_app(home, host="0.0.0.0")
    for host in ("127.0.0.1", "::1", "localhost"):
        make_app(home, host=host)
    monkeypatch.setenv("HYPERLEXICON_API_TOKENS", f"{TOKENS['admin']}=admin")
    with TestClient(make_app(home, host="0.0.0.0")) as client:
        problem(client.get(f"{API}/entries/🜂"), 401)
        assert client.get(f"{API}/entries/🜂", headers=bearer(TOKENS["admin"])).status_code == 200


@pytest.mark.parametrize(
    "value, message",
    [
        ("short=admin", "16 characters"),
        (f"{TOKENS['admin']}=root", "role of reader, editor, admin"),
        (TOKENS["admin"], "expected token=role"),
    ],
)
def test_bad_token_settings_are_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("HYPERLEXICON_API_TOKENS", value)
    with pytest.raises(ConfigError, match=message):
        make_app(home)


def test_tokens_file_must_be_0600(home: Path) -> None:
    path = home / "tokens.json"
    path.write_text(json.dumps({TOKENS["reader"]: {"role": "reader", "name": "ro"}}))
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        make_app(home, host="0.0.0.0")
    with pytest.raises(ConfigError, match="readable by others"):
        make_app(home)  # a leaky tokens file is refused on loopback too
    os.chmod(path, 0o600)
    with TestClient(make_app(home, host="0.0.0.0")) as client:
        problem(client.get(f"{API}/entries/🜂"), 401)
        reader = bearer(TOKENS["reader"])
        assert client.get(f"{API}/entries/🜂", headers=reader).status_code == 200
        problem(client.post(f"{API}/entries", json=NEW_ENTRY, headers=reader), 403)


# --- 6. API keys never leak -------------------------------------------------------------------


def test_connector_keys_never_leak(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A key stored as `hyperlexicon keys set anthropic` does, behind a server that echoes
    the key it gets in its 401 error, one that fails with 500, and one that works."""
    caplog.set_level(logging.DEBUG)
    KeyStore(home).set("anthropic", CLAUDE_KEY)
    assert (home / "keys.json").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("HYPERLEXICON_CLAUDE_MODEL", "fake-hyperbridge")
    monkeypatch.setenv("HYPERLEXICON_CLAUDE_TIMEOUT", "5")
    seen: list[str] = []

    def record(r: Any) -> Any:
        seen.append(r.text)
        seen.append(json.dumps(dict(r.headers)))
        return r

    encode = {"text": "огонь и буря", "connectors": ["claude"]}
    with TestClient(make_app(home)) as client:
        with MessagesAPI("sk-ant-some-other-key-000") as echoing:
            monkeypatch.setenv("HYPERLEXICON_CLAUDE_BASE_URL", echoing.url)
            body = problem(record(client.post(f"{API}/encode", json=encode)), 502)
            assert "HTTP 401" in body["detail"] and "***" in body["detail"]
            r = record(
                client.post(f"{API}/encode", json={**encode, "connectors": ["claude", "lexicon"]})
            )
            assert r.status_code == 200 and r.json()["connector"] == "lexicon"
            [failure] = r.json()["failures"]
            assert failure["connector"] == "claude" and "***" in failure["error"]
            # it did get the key, and echoed it: the redaction above was needed
            assert echoing.headers and CLAUDE_KEY in json.dumps(echoing.headers)
        with MessagesAPI(CLAUDE_KEY) as failing:
            monkeypatch.setenv("HYPERLEXICON_CLAUDE_BASE_URL", failing.url)
            monkeypatch.setenv("HYPERLEXICON_CLAUDE_MODEL", "fake-error")
            assert (
                "HTTP 500"
                in problem(record(client.post(f"{API}/encode", json=encode)), 502)["detail"]
            )
            monkeypatch.setenv("HYPERLEXICON_CLAUDE_MODEL", "fake-hyperbridge")
            r = record(client.post(f"{API}/encode", json=encode))
            assert r.status_code == 200 and r.json()["connector"] == "claude"
            r = record(
                client.post(
                    f"{API}/decode", json={**{"hyperstring": "🜂⧖🕯"}, "connectors": ["claude"]}
                )
            )
            assert r.status_code == 200
        for path in ("/queries?limit=1000", "/index", "/stats", "/stats/calibration", "/jobs"):
            record(client.get(f"{API}{path}"))
        for q in client.get(f"{API}/queries?limit=1000").json():
            record(client.get(f"{API}/queries/{q['id']}"))
        record(client.get(f"{API}/export?format=yaml"))
    assert len(seen) > 20
    for text in seen:
        assert CLAUDE_KEY not in text
    for rec in caplog.records:
        assert CLAUDE_KEY not in rec.getMessage()
        assert CLAUDE_KEY not in (logging.Formatter().format(rec))
    assert CLAUDE_KEY not in caplog.text
    # nor in any file the server wrote, except the keys file itself
    for path in home.rglob("*"):
        if path.is_file() and path.name != "keys.json":
            assert CLAUDE_KEY.encode() not in path.read_bytes(), path


# --- 7. images --------------------------------------------------------------------------------


def _image(**extra: Any) -> dict[str, Any]:
    return {
        "image_base64": base64.b64encode(PNG).decode(),
        "image_type": "image/png",
        "connectors": ["claude"],
        **extra,
    }


def test_an_image_goes_to_claude_with_the_glossary(client: TestClient, claude: MessagesAPI) -> None:
    r = client.post(f"{API}/encode", json=_image(text="буря"))
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["connector"] == "claude" and result["scene"]["lexemes"]
    lexicon = client.app.state.service.lexicon("core")
    assert all(lexicon.find(lx["form"]) is not None for lx in result["scene"]["lexemes"])
    [message] = claude.requests[-1]["messages"]
    image, text = message["content"]
    assert image == {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/png",
            "data": base64.b64encode(PNG).decode(),
        },
    }
    assert text["type"] == "text" and "<glossary>\n" in text["text"]
    glossary = text["text"].split("<glossary>\n")[1].split("\n</glossary>")[0].splitlines()
    assert "⛈" in {json.loads(line)["form"] for line in glossary}
    # the query log says an image was encoded, not its bytes
    logged = client.get(f"{API}/queries/{result['scene']['query_id']}").json()
    assert logged["input"].startswith("[image image/png, ")


def test_an_image_without_text(client: TestClient, claude: MessagesAPI) -> None:
    r = client.post(f"{API}/encode", json=_image())
    assert r.status_code == 200, r.text
    assert r.json()["connector"] == "claude" and r.json()["hyperstring"]


@pytest.mark.parametrize("chain", [["lexicon"], ["keywords"], [], ["keywords", "lexicon"]])
def test_connectors_without_image_support_are_422(
    client: TestClient, claude: MessagesAPI, chain: list[str]
) -> None:
    before = snapshot(client)
    detail = problem(client.post(f"{API}/encode", json=_image(connectors=chain)), 422)["detail"]
    assert "cannot read images" in detail and "claude" in detail
    assert snapshot(client) == before and claude.requests == []


def test_a_chain_with_one_image_reader_is_enough(client: TestClient, claude: MessagesAPI) -> None:
    r = client.post(f"{API}/encode", json=_image(connectors=["keywords", "claude"]))
    assert r.status_code == 200, r.text
    assert r.json()["connector"] == "claude"
    assert r.json()["failures"][0]["connector"] == "keywords"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"image_base64": "not base64!!"}, "image_base64"),
        ({"image_base64": ""}, "image_base64"),
        ({"image_type": None}, "image_type"),
        ({"image_type": "image/tiff"}, "image_type"),
    ],
)
def test_bad_images_are_422(
    client: TestClient, claude: MessagesAPI, changes: dict[str, Any], field: str
) -> None:
    detail = problem(client.post(f"{API}/encode", json=_image(**changes)), 422)["detail"]
    assert field in detail
    assert claude.requests == []


def test_an_image_to_a_paid_connector_needs_admin(
    home: Path, tokens: dict[str, str], claude: MessagesAPI
) -> None:
    with TestClient(make_app(home)) as client:
        for role in ("reader", "editor"):
            r = client.post(f"{API}/encode", json=_image(), headers=bearer(TOKENS[role]))
            problem(r, 403)
        assert claude.requests == []
        r = client.post(f"{API}/encode", json=_image(), headers=bearer(TOKENS["admin"]))
        assert r.status_code == 200 and len(claude.requests) == 1


# --- 8. import and export in every format -----------------------------------------------------


def _copy_through(client: TestClient, fmt: str) -> str:
    """Export core in ``fmt``, import the file into a new lexicon; returns its name."""
    r = client.get(f"{API}/export", params={"format": fmt})
    assert r.status_code == 200
    name = f"copy-{fmt}"
    assert client.post(f"{API}/lexicons", json={"name": name}).status_code == 201
    r = client.post(
        f"{API}/import",
        params={"lexicon": name},
        files={"file": (f"core.{fmt}", r.content, "application/octet-stream")},
    )
    assert r.status_code == 202, r.text
    assert wait_job(client, r.json())["state"] == "done"
    return name


@pytest.mark.parametrize("fmt", ["jsonl", "yaml", "csv", "tbx"])
def test_export_import_round_trip(client: TestClient, fmt: str) -> None:
    r = client.get(f"{API}/export", params={"format": fmt})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == f'attachment; filename="core.{fmt}"'
    media = {"jsonl": "ndjson", "yaml": "yaml", "csv": "text/csv", "tbx": "tbx+xml"}[fmt]
    assert media in r.headers["content-type"]
    name = f"copy-{fmt}"
    assert client.post(f"{API}/lexicons", json={"name": name}).status_code == 201
    r = client.post(
        f"{API}/import",
        params={"lexicon": name},
        files={"file": (f"core.{fmt}", r.content, "application/octet-stream")},
    )
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"{API}/jobs/{r.json()['id']}"
    job = wait_job(client, r.json())
    assert job["state"] == "done", job
    original = client.get(f"{API}/versions/working").json()["entries"]
    copy = client.get(f"{API}/versions/working", params={"lexicon": name}).json()["entries"]
    assert job["result"]["created"] == len(original) > 100
    assert sorted(copy, key=lambda e: e["form"]) == sorted(original, key=lambda e: e["form"])


@pytest.mark.parametrize(
    "fmt",
    [
        "jsonl",
        "yaml",
        "csv",
        "tbx",
    ],
)
def test_a_copy_exports_to_the_same_file(client: TestClient, fmt: str) -> None:
    name = _copy_through(client, fmt)
    original = client.get(f"{API}/export", params={"format": fmt}).content
    again = client.get(f"{API}/export", params={"format": fmt, "lexicon": name}).content
    assert again.replace(name.encode(), b"core") == original


def test_export_of_a_version(client: TestClient) -> None:
    r = client.get(f"{API}/export", params={"format": "jsonl", "version": "seed-core-1"})
    assert r.headers["content-disposition"] == 'attachment; filename="core-seed-core-1.jsonl"'
    entries = [json.loads(line) for line in r.text.splitlines()[1:]]
    fire = next(e for e in entries if e["form"] == "🜂")
    assert fire["weight"] != 0.42  # the edit after the seed version is not in it
    problem(client.get(f"{API}/export", params={"version": "no-such-version"}), 404)


def test_a_bad_import_file_fails_its_job_and_keeps_nothing(client: TestClient) -> None:
    before = snapshot(client)
    bad = IMPORT_FILE + json.dumps({"form": "🝇", "weight": 5}).encode() + b"\n"
    r = client.post(f"{API}/import", files={"file": ("bad.jsonl", bad, "application/x-ndjson")})
    assert r.status_code == 202
    job = wait_job(client, r.json())
    assert job["state"] == "failed" and "weight" in job["error"]
    after = snapshot(client)
    assert after.pop("jobs") != before.pop("jobs")
    assert after == before  # not even the good line before the bad one
    problem(client.post(f"{API}/import", files={"file": ("x.docx", b"zz", "text/plain")}), 422)


# --- 9. HyperPrompt ---------------------------------------------------------------------------


def test_a_text_form_prompt(client: TestClient) -> None:
    question = "Что ты чувствуешь перед бурей?"
    plain = client.post(f"{API}/prompt", json={"prompt": f"encode: {question}"})
    assert plain.status_code == 200, plain.text
    assert "🫀" in plain.json()["hyperstring"]
    r = client.post(
        f"{API}/prompt",
        json={"prompt": f"encode: {question}\nregister: emotional\nwithout: 🫀\nkeep: ⛈\n"},
    )
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["connector"] == "lexicon" and result["mode"] == "encode"
    assert "🫀" not in result["hyperstring"] and "⛈" in result["hyperstring"]
    logged = client.get(f"{API}/queries/{result['scene']['query_id']}").json()
    assert logged["params"]["exclude"] == ["🫀"] and logged["params"]["register"] == "emotional"


@pytest.mark.parametrize(
    "prompt",
    [
        "decode[formula, en]: 🜂⧖🕯",
        "decode: 🜂⧖🕯\nstyle: formula\nlang: en",
        "decode:\nstyle: formula\nlang: en\n---\n🜂⧖🕯",
        json.dumps({"mode": "decode", "text": "🜂⧖🕯", "style": "formula", "lang": "en"}),
    ],
    ids=["one line", "key lines", "body", "json"],
)
def test_prompt_forms_are_equivalent(client: TestClient, prompt: str) -> None:
    r = client.post(f"{API}/prompt", json={"prompt": prompt})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "fire + time + candle"


@pytest.mark.parametrize(
    "prompt, where",
    [
        ("encode[loud]: огонь", "prompt:1:"),
        ("encode: огонь\nregister: angry", "prompt:2:"),
        ("hello", "prompt:1:1"),
        ('{"mode": "encode"}', "text"),
    ],
)
def test_a_malformed_prompt_is_422_with_the_place(
    client: TestClient, prompt: str, where: str
) -> None:
    assert where in problem(client.post(f"{API}/prompt", json={"prompt": prompt}), 422)["detail"]


def test_a_prompt_through_claude(home: Path, tokens: dict[str, str], claude: MessagesAPI) -> None:
    prompt = "encode =⛈ -🫀 @claude: Что ты чувствуешь перед бурей?"
    with TestClient(make_app(home)) as client:
        problem(
            client.post(f"{API}/prompt", json={"prompt": prompt}, headers=bearer(TOKENS["reader"])),
            403,
        )
        assert claude.requests == []
        r = client.post(f"{API}/prompt", json={"prompt": prompt}, headers=bearer(TOKENS["admin"]))
        assert r.status_code == 200, r.text
        assert r.json()["connector"] == "claude" and "🫀" not in r.json()["hyperstring"]
        user = claude.requests[-1]["messages"][0]["content"][0]["text"]
        assert "🫀" in user and "⛈" in user  # the constraints went with the request


# --- jobs --------------------------------------------------------------------------------------


def test_two_rebuilds_at_once_both_finish(client: TestClient) -> None:
    jobs = [client.post(f"{API}/index/rebuild").json() for _ in range(2)]
    states = [wait_job(client, job) for job in jobs]
    assert [s["state"] for s in states] == ["done", "done"], states
    assert client.get(f"{API}/search", params={"q": "огонь", "mode": "semantic"}).json()


def test_the_lookup_writes_what_entry_out_would() -> None:
    """GET /entries/{form} writes its JSON itself (no re-validation per request): the same
    bytes FastAPI would write through ``EntryOut``, defaults and all."""
    from datetime import UTC, datetime

    from hyperlexicon.entry import EntryData
    from hyperlexicon.server.api import EntryOut, entry_json
    from hyperlexicon.store import StoredEntry

    now = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    for data in (
        EntryData.create("🜂", glosses={"ru": ["огонь"], "en": ["fire"]}),
        EntryData.create(
            "Δ-x",
            kind="delta",
            glosses={"en": ['x "q" \\ / é']},
            components=["ru:пустота@🕳", "meaning only", {"meaning": "m", "lang": "en"}],
            registers=["poetic"],
            weight=1,
            notes="a note",
            examples=["one", "two"],
        ),
    ):
        stored = StoredEntry(7, "core", data, 3, now, now)
        expected = EntryOut.model_validate(stored.to_dict()).model_dump_json().encode()
        assert entry_json(stored) == expected


@pytest.mark.parametrize(
    ("path", "raw", "where"),
    [
        ("/compress", rb'{"scenes": ["\ud83c\udf1f", "\ud83d"]}', "scenes[1]"),
        ("/encode", rb'{"text": "fire \udc00"}', "text"),
        ("/entries", rb'{"form": "\ud83d", "kind": "glyph"}', "form"),
    ],
)
def test_a_lone_surrogate_is_422_naming_where(
    client: TestClient, path: str, raw: bytes, where: str
) -> None:
    """JSON can escape half a surrogate pair; no database can store one, so it is refused
    at the door (it once reached the store and came back as a 500)."""
    before = snapshot(client)
    r = client.post(f"{API}{path}", content=raw, headers={"content-type": "application/json"})
    detail = problem(r, 422)["detail"]
    assert where in detail and "lone surrogate" in detail
    assert snapshot(client) == before
