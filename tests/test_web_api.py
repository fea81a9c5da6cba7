"""The REST and WebSocket additions of issue 14 through the real app (FastAPI's TestClient on
``create_app``, the real SQLite store and index): one vocabulary for ``ask`` over REST and
WebSocket, every WebSocket message type documented, browsing (total, sort, facets), each
revision's diff and its revert, and an OpenAPI document in which every operation has a
summary, a description and a request example."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hyperlexicon.config import Settings
from hyperlexicon.lexicon import Lexicon
from hyperlexicon.server import create_app, ws

from .fixtures import ROOT

API = "/api/v1"


@pytest.fixture
def home(_seeded_sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "home"
    target.mkdir()
    shutil.copy(_seeded_sqlite_template, target / "lexicon.sqlite3")
    lex = Lexicon(Settings.load(home=str(target), auto_index=True))
    try:
        lex.rebuild_index()
    finally:
        lex.close()
    monkeypatch.setenv("HYPERLEXICON_HOME", str(target))
    monkeypatch.setenv("HYPERLEXICON_RATE", "1000")
    monkeypatch.setenv("HYPERLEXICON_BURST", "1000")
    return target


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings.load(home=str(home), auto_index=True))) as c:
        yield c


def _problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return str(response.json()["detail"])


# --- one vocabulary: ask takes text ------------------------------------------------------------


def test_rest_ask_takes_text_like_encode_and_question_as_an_alias(client: TestClient) -> None:
    asked = "Что такое огонь?"
    by_text = client.post(f"{API}/ask", json={"text": asked})
    by_question = client.post(f"{API}/ask", json={"question": asked})
    assert by_text.status_code == by_question.status_code == 200, by_text.text
    assert by_text.json()["hyperstring"] == by_question.json()["hyperstring"]
    assert by_text.json()["hyperstring"]
    # the query log holds the question as it was asked, either way
    logged = client.get(f"{API}/queries", params={"mode": "ask", "limit": 2}).json()
    assert [q["input"] for q in logged] == [asked, asked]
    # the same text under both names is one question; two different ones are refused
    assert client.post(f"{API}/ask", json={"text": asked, "question": asked}).status_code == 200
    assert "give one" in _problem(
        client.post(f"{API}/ask", json={"text": asked, "question": "другой"}), 422
    )
    assert "text: required" in _problem(client.post(f"{API}/ask", json={"lang": "ru"}), 422)
    assert "text" in _problem(client.post(f"{API}/ask", json={"text": ""}), 422)


def _frames(socket: Any, request_id: str) -> list[dict[str, Any]]:
    """Frames until the request's result or error (pings and the like skipped)."""
    out = []
    for _ in range(500):
        frame = socket.receive_json()
        if frame.get("id") == request_id:
            out.append(frame)
            if frame["type"] in ("result", "error", "cancelled"):
                return out
    raise AssertionError(f"no end for {request_id}: {out[-3:]}")


def test_websocket_ask_takes_text_and_question_alike(client: TestClient) -> None:
    asked = "Что такое свеча?"
    with client.websocket_connect("/ws") as socket:
        socket.send_json({"v": 1, "type": "hello"})
        assert socket.receive_json()["type"] == "dialogue"
        socket.send_json({"v": 1, "type": "ask", "id": "t", "text": asked})
        by_text = _frames(socket, "t")[-1]
        socket.send_json({"v": 1, "type": "ask", "id": "q", "question": asked})
        by_question = _frames(socket, "q")[-1]
        assert by_text["type"] == by_question["type"] == "result", (by_text, by_question)
        assert by_text["result"]["hyperstring"] == by_question["result"]["hyperstring"]
        # and REST says the same of it
        rest = client.post(f"{API}/ask", json={"text": asked}).json()
        assert rest["hyperstring"] == by_text["result"]["hyperstring"]
        socket.send_json({"v": 1, "type": "ask", "id": "x", "text": "a", "question": "b"})
        error = _frames(socket, "x")[-1]
        assert error["type"] == "error" and "give one" in error["error"]["detail"]


def _documented(direction: str) -> set[str]:
    """The types of the example frames docs/service.md shows going one way."""
    text = (ROOT / "docs" / "service.md").read_text("utf-8")
    section = text[text.index("## WebSocket") : text.index("## Background jobs")]
    return set(re.findall(rf'{direction} \{{"v":1,"type":"(\w+)"', section))


def test_every_websocket_message_type_is_documented_with_an_example() -> None:
    assert _documented("→") == set(ws.CLIENT_TYPES)
    assert _documented("←") == set(ws.SERVER_TYPES)
    # what the server sends is what SERVER_TYPES says (read from the code that sends it)
    source = Path(ws.__file__).read_text("utf-8")
    sent = set(re.findall(r'"type": "(\w+)"', source)) - {"about"}
    assert sent == set(ws.SERVER_TYPES)
    # and every documented example is one JSON object once its elisions are filled in
    section = (ROOT / "docs" / "service.md").read_text("utf-8")
    for line in re.findall(r"`[→←] (\{.*?\})`", section):
        filled = line.replace("{…}", "{}").replace(",…", "").replace("…", "")
        assert json.loads(filled)["v"] == 1, line


# --- a revision's diff and its revert ------------------------------------------------------------


def test_history_shows_each_revision_field_by_field_and_reverts_one(client: TestClient) -> None:
    form = "☉"
    current = client.get(f"{API}/entries/{form}")
    old = current.json()
    changed = client.patch(
        f"{API}/entries/{form}",
        params={"reason": "brighter"},
        json={"weight": 0.77, "registers": ["technical"]},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    [latest, *_] = client.get(f"{API}/entries/{form}/history").json()
    assert latest["reason"] == "brighter"
    assert {c["field"]: (c["before"], c["after"]) for c in latest["changes"]} == {
        "weight": (old["weight"], 0.77),
        "registers": (old["registers"], ["technical"]),
    }
    # the lexicon's history carries the same
    assert (
        client.get(f"{API}/history", params={"limit": 1}).json()[0]["changes"] == latest["changes"]
    )

    reverted = client.post(
        f"{API}/revisions/{latest['id']}/revert", params={"reason": "too bright"}
    )
    assert reverted.status_code == 201, reverted.text
    made = reverted.json()
    assert made["reason"] == f"revert revision {latest['id']}: too bright"
    assert {c["field"] for c in made["changes"]} == {"weight", "registers"}
    now = client.get(f"{API}/entries/{form}").json()
    assert (now["weight"], now["registers"]) == (old["weight"], old["registers"])

    # a second revert of the same revision: the first one changed those fields since
    again = client.post(f"{API}/revisions/{latest['id']}/revert")
    assert f"revision {made['id']} changed" in _problem(again, 409)
    assert client.get(f"{API}/entries/{form}").json() == now
    assert "no revision 999999" in _problem(client.post(f"{API}/revisions/999999/revert"), 404)
    _problem(client.post(f"{API}/revisions/0/revert"), 422)


# --- browsing ------------------------------------------------------------------------------------


def test_entries_carry_the_total_sort_and_the_facets(client: TestClient) -> None:
    everything = client.get(f"{API}/entries", params={"limit": 1000}).json()
    page = client.get(f"{API}/entries", params={"limit": 10, "sort": "kind"})
    assert page.headers["X-Total-Count"] == str(len(everything))  # not the page's 10
    assert len(page.json()) == 10 and {e["kind"] for e in page.json()} == {"glyph"}
    last = client.get(f"{API}/entries", params={"limit": 5, "sort": "kind", "order": "desc"})
    assert {e["kind"] for e in last.json()} == {"delta"}
    heavy = client.get(f"{API}/entries", params={"sort": "weight", "order": "desc", "limit": 1000})
    weights = [e["weight"] for e in heavy.json()]
    assert weights == sorted(weights, reverse=True)
    filtered = client.get(f"{API}/entries", params={"kind": "delta", "limit": 3})
    deltas = [e for e in everything if e["kind"] == "delta"]
    assert filtered.headers["X-Total-Count"] == str(len(deltas)) and len(filtered.json()) == 3

    facets = client.get(f"{API}/facets").json()
    assert facets["total"] == len(everything)
    assert sum(facets["kind"].values()) == len(everything)
    assert facets["kind"]["delta"] == len(deltas)
    narrowed = client.get(f"{API}/facets", params={"kind": "delta"}).json()
    assert narrowed["total"] == len(deltas)
    assert narrowed["kind"] == facets["kind"]  # a facet does not narrow itself
    assert sum(narrowed["status"].values()) == len(deltas)

    assert "sort" in _problem(client.get(f"{API}/entries", params={"sort": "id"}), 422)
    assert "order" in _problem(client.get(f"{API}/entries", params={"order": "up"}), 422)
    assert "kind" in _problem(client.get(f"{API}/facets", params={"kind": "rune"}), 422)


# --- the API's own documentation ------------------------------------------------------------------


def _body_model(name: str) -> Any:
    from hyperlexicon.server import api, web

    return getattr(api, name, None) or getattr(web, name)


def test_every_operation_has_a_summary_a_description_and_a_request_example(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()
    operations = [
        (path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()
    ]
    assert len(operations) >= 50
    lacking = []
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        summary, description = op.get("summary", ""), op.get("description", "")
        # FastAPI's fallback summary is the function's name in title case: not a summary
        if not summary or summary == op["operationId"].split("_api_")[0].replace("_", " ").title():
            lacking.append(f"{where}: summary")
        if len(description) < 20:
            lacking.append(f"{where}: description")
        for parameter in op.get("parameters", ()):
            if (
                parameter["in"] == "path" or parameter.get("required")
            ) and "example" not in parameter:
                lacking.append(f"{where}: example of {parameter['name']}")
        body = op.get("requestBody", {}).get("content", {})
        for media, content in body.items():
            if "example" not in content:
                lacking.append(f"{where}: example of its {media} body")
            elif media == "application/json":
                # the example is a body the route accepts
                model = _body_model(content["schema"]["$ref"].rsplit("/", 1)[-1])
                model.model_validate(content["example"])
        [sample] = op.get("x-codeSamples", [{}])
        source = sample.get("source", "")
        if not source.startswith(f"curl -X {method.upper()} "):
            lacking.append(f"{where}: a curl sample")
        elif body and " -d " not in source and " -F " not in source:
            lacking.append(f"{where}: the body in its curl sample")
    assert lacking == []


def test_the_curl_samples_run(client: TestClient) -> None:
    """A few samples as written (through the test client): they do what they say."""
    schema = client.get("/openapi.json").json()

    def sample(path: str, method: str) -> str:
        return schema["paths"][path][method]["x-codeSamples"][0]["source"]

    for path, method in (
        ("/api/v1/entries/{form}", "get"),
        ("/api/v1/search", "get"),
        ("/api/v1/decode", "post"),
        ("/api/v1/ask", "post"),
        ("/api/v1/diff", "get"),
    ):
        import shlex

        words = shlex.split(sample(path, method))
        url = words[3].removeprefix("http://127.0.0.1:8765")
        body = json.loads(words[words.index("-d") + 1]) if "-d" in words else None
        response = client.request(words[2], url, json=body)
        assert response.status_code == 200, (path, response.text)


def test_docs_pages_point_at_this_servers_assets(client: TestClient) -> None:
    for page, assets in (
        ("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")),
        ("/redoc", ("redoc.standalone.js",)),
    ):
        html = client.get(page)
        assert html.status_code == 200
        assert "default-src 'self'" in html.headers["content-security-policy"]
        for asset in assets:
            path = f"/docs-assets/{asset}"
            assert path in html.text
            served = client.get(path)
            assert served.status_code == 200 and len(served.content) > 100_000
        # nothing named from another host: no CDN, no Google fonts, no validator
        assert re.findall(r"(?:src|href)=[\"']https?://", html.text) == []
        assert "fonts.googleapis" not in html.text and "cdn.jsdelivr" not in html.text
    # ReDoc's logo, the one image its script takes from its CDN, comes from here
    script = client.get("/docs-assets/redoc.standalone.js")
    assert b"cdn.redoc.ly" not in script.content and b"/docs-assets/favicon.png" in script.content


# --- calibration in words, and its plot never an empty frame ---------------------------------


def _record(metrics: dict[str, Any], pairs: int = 0) -> dict[str, Any]:
    return {
        "id": 7,
        "created_at": "2026-01-02T03:04:05+00:00",
        "author": "ada",
        "method": "f1",
        "folds": 5,
        "pairs": pairs,
        "thresholds": {"semantic": {"poetic": 0.62, "default": 0.6}, "anchor": 0.7},
        "metrics": metrics,
    }


HELD = {"precision": 0.8, "recall": 0.5, "f1": 0.6, "n": 20}
ADOPTED = {
    "pairs": 24,
    "before_threshold": 0.6,
    "after_threshold": 0.55,
    "fitted_threshold": 0.55,
    "held_out_before": {**HELD, "precision": 0.7},
    "held_out_after": HELD,
    "adopted": True,
}


def test_a_calibration_is_explained_in_words() -> None:
    from hyperlexicon.calibration import explain

    nothing = explain(_record({}))
    assert nothing["summary"].startswith("Skipped: there was no feedback on lexemes")
    assert "hyperlexicon feedback QUERY_ID accept" in nothing["todo"]
    assert nothing["outcomes"] == []

    short = {"pairs": 3, "skipped": "fewer than 10 pairs"}
    few = explain(_record({"semantic:poetic": short, "anchor": short}, pairs=3))
    assert few["summary"].startswith("Skipped: 3 judged lexemes in all")
    assert [o["outcome"] for o in few["outcomes"]] == ["skipped", "skipped"]
    assert few["outcomes"][0]["words"] == (
        "The poetic threshold was not fitted: 3 judged lexemes, at least 10 needed."
    )
    assert few["outcomes"][-1]["series"] == "anchor"  # registers first, the anchor last
    assert "at least 10" in few["todo"]

    kept = {**ADOPTED, "adopted": False, "after_threshold": 0.6}
    mixed = explain(
        _record(
            {
                "semantic:poetic": ADOPTED,
                "semantic:logical": {"pairs": 2, "skipped": "fewer than 10 pairs"},
                "anchor": kept,
            },
            pairs=26,
        )
    )
    assert mixed["summary"] == "Partly skipped: 1 of 3 thresholds lacked feedback."
    words = {o["series"]: o["words"] for o in mixed["outcomes"]}
    assert words["poetic"] == (
        "The poetic threshold is now 0.55 (was 0.60), fitted on 24 judged lexemes: held-out "
        "precision 0.70 → 0.80, recall 0.50 → 0.50."
    )
    assert "stays 0.60" in words["anchor"] and "did worse on held-out folds" in words["anchor"]
    # a calibration that weighed the held-out verdicts the fit decided differently says how many
    doubted = {**kept, "decided_differently": {"right": 4, "wrong": 2, "p": 0.34}}
    said = explain(_record({"anchor": doubted}, pairs=24))["outcomes"][0]["words"]
    assert said == (
        "The anchor threshold stays 0.60: the one fitted on 24 judged lexemes (0.55) decided 6 "
        "held-out lexemes differently, 4 of them rightly: not shown to do better."
    )
    assert explain(_record({"anchor": ADOPTED}, pairs=24))["todo"] is None


def test_the_calibration_plot_is_never_an_empty_frame() -> None:
    from xml.etree import ElementTree as ET

    from hyperlexicon.server import plot

    ns = "{http://www.w3.org/2000/svg}"

    def drawn(history: list[dict[str, Any]]) -> ET.Element:
        return ET.fromstring(plot.render(history))

    def panels(root: ET.Element) -> list[str]:
        return [g.get("data-panel") for g in root.iter(f"{ns}g") if g.get("class") == "panel"]

    def texts(root: ET.Element, cls: str) -> list[str]:
        return [t.text or "" for t in root.iter(f"{ns}text") if t.get("class") == cls]

    # nothing: a sentence, no panel, no axis line
    empty = drawn([])
    assert panels(empty) == [] and not list(empty.iter(f"{ns}line"))
    assert texts(empty, "empty")[0].startswith("No calibrations yet")
    # one calibration that measured nothing: the thresholds only, their values written, and a
    # sentence where the held-out panel would be empty
    skipped = drawn([_record({})])
    assert panels(skipped) == ["thresholds"]
    assert "anchor 0.70" in texts(skipped, "value")
    assert any("No held-out precision or recall yet" in t for t in texts(skipped, "note"))
    # one calibration with figures: both panels, each point's value beside it
    one = drawn([_record({"semantic:poetic": ADOPTED, "anchor": ADOPTED}, pairs=24)])
    assert panels(one) == ["thresholds", "metrics"]
    # series sharing a value share a label, a few names a line
    assert "poetic, anchor precision 0.80" in texts(one, "value")
    shared = _record({})
    registers = ("emotional", "logical", "poetic", "technical")
    shared["thresholds"]["semantic"] = dict.fromkeys(registers, 0.6)
    assert texts(drawn([shared]), "value") == [
        "anchor 0.70",
        "emotional, logical, poetic,",
        "technical 0.60",
    ]
    assert not list(one.iter(f"{ns}polyline"))  # a single point makes no line…
    assert any("One calibration so far" in t for t in texts(one, "note"))
    # two: lines, no lone-point labels
    two = drawn(
        [
            {**_record({"anchor": ADOPTED}, pairs=24), "id": 8},
            _record({"anchor": ADOPTED}, pairs=24),
        ]
    )
    assert panels(two) == ["thresholds", "metrics"]
    assert list(two.iter(f"{ns}polyline")) and texts(two, "value") == []


def test_the_plot_draws_a_words_a_faces_and_a_templates_threshold_once_fitted() -> None:
    """The thresholds of lexemes matched by meaning but not held to the semantic one
    (``Lexeme.gate``) are series of their own once a calibration fitted them, a word's as
    the semantic threshold and its margin; a lexicon that never fitted them draws none."""
    from xml.etree import ElementTree as ET

    from hyperlexicon.server import plot

    ns = "{http://www.w3.org/2000/svg}"

    def drawn(history: list[dict[str, Any]]) -> dict[str, list[str]]:
        root = ET.fromstring(plot.render(history))
        out: dict[str, list[str]] = {}
        for g in root.iter(f"{ns}g"):
            if g.get("class") == "series" and g.get("data-measure") == "threshold":
                out[g.get("data-series") or ""] = [c.get("cy") or "" for c in g.iter(f"{ns}circle")]
        return out

    before = _record({"anchor": ADOPTED}, pairs=24)
    before["thresholds"] |= {"word_margin": 0.2, "feeling": 0.4, "sentence": 0.8}
    assert not {"word", "feeling", "sentence"} & set(drawn([before]))
    after = _record({"word": ADOPTED, "feeling": ADOPTED}, pairs=24)
    after["thresholds"] |= {"word_margin": 0.15, "feeling": 0.45, "sentence": 0.8}
    after["id"] = 8
    series = drawn([after, before])
    assert len(series["word"]) == len(series["feeling"]) == 2 and "sentence" not in series
    data = plot.series([after, before])
    assert data["thresholds"]["word"] == [0.8, 0.75]
    assert data["thresholds"]["feeling"] == [0.4, 0.45]
    assert data["precision"]["word"] == [None, HELD["precision"]]
    assert "word threshold 0.75 (precision 0.80, recall 0.50)" in plot.describe([after, before])


def test_the_plot_draws_the_keyword_threshold_once_its_shift_was_fitted() -> None:
    """The keyword thresholds' shift is signed (−0.38 for a user calibrated down) and off
    the panel's 0–1 scale: once a calibration fitted it, the plot draws a noun's keyword
    threshold with the shift, where every calibration before it stands at the default."""
    from hyperlexicon.server import plot

    before = _record({"anchor": ADOPTED}, pairs=24)
    before["thresholds"] |= {"keyword_noun": 0.2, "keyword_shift": 0.0}
    assert plot.series([before])["thresholds"]["keyword"] == [None]
    assert 'data-series="keyword"' not in plot.render([before])
    after = _record({"keyword": {**ADOPTED, "before_threshold": 0.0}}, pairs=24)
    after["thresholds"] |= {"keyword_noun": 0.2, "keyword_shift": -0.05}
    after["id"] = 8
    data = plot.series([after, before])
    assert data["thresholds"]["keyword"] == [0.2, 0.15]
    assert data["precision"]["keyword"] == [None, HELD["precision"]]
    svg = plot.render([after, before])
    assert svg.count('data-series="keyword" data-measure="threshold"') == 1
    assert "keyword threshold 0.15 (precision 0.80, recall 0.50)" in plot.describe([after, before])
    # a record written before the shift was kept draws nothing for it, and breaks nothing
    old = _record({"keyword": ADOPTED}, pairs=24)
    assert plot.series([old])["thresholds"]["keyword"] == [None]
    assert "<svg" in plot.render([old])


def test_a_dialogue_over_rest(client: TestClient) -> None:
    with client.websocket_connect("/ws") as sock:
        sock.send_json({"v": 1, "type": "hello"})
        dialogue = sock.receive_json()["dialogue"]
        sock.send_json({"v": 1, "type": "encode", "id": "a", "text": "огонь и время"})
        while (ev := sock.receive_json())["type"] != "result":
            pass
    got = client.get(f"{API}/dialogues/{dialogue}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["dialogue"], body["lexicon"]) == (dialogue, "core")
    [turn] = body["turns"]
    assert turn["turn"] == 1 and turn["request"]["text"] == "огонь и время"
    assert turn["query_id"] == ev["result"]["scene"]["query_id"]
    _problem(client.get(f"{API}/dialogues/no-such-dialogue"), 404)


def test_a_reproducible_run_stops_the_clock_and_numbers_its_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What keeps the docs' screenshots the same from run to run."""
    from datetime import UTC, datetime

    from hyperlexicon import models as M

    monkeypatch.delenv(M.REPRODUCIBLE, raising=False)
    assert M.new_id() != M.new_id()  # random, as always
    assert abs((M.utcnow() - datetime.now(UTC)).total_seconds()) < 5
    monkeypatch.setenv(M.REPRODUCIBLE, "2026-03-14T09:26:53+00:00")
    assert M.utcnow() == M.utcnow() == datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
    monkeypatch.setattr(M, "_numbered", itertools.count(1))
    first = [M.new_id(), M.new_id()]
    monkeypatch.setattr(M, "_numbered", itertools.count(1))
    assert [M.new_id(), M.new_id()] == first and first[0] != first[1]


def test_a_posted_scene_keeps_how_each_lexeme_was_matched() -> None:
    """A scene from /encode comes back to the picture as it was: each ``how`` the bridge gives
    ("related" by a synonym, "translated" by a translation among the glosses) stays itself, and
    only a word no layer gives is read as an exact match."""
    from hyperlexicon.scene import HOW
    from hyperlexicon.server.web import SceneIn

    def read(how: str) -> str:
        scene = SceneIn.model_validate({"lexemes": [{"form": "🜂", "how": how}]}).scene()
        return scene.lexemes[0].how

    assert {"related", "translated"} <= set(HOW)
    assert [read(how) for how in HOW] == list(HOW)
    assert read("guessed") == "exact"
