"""The web page at ``/``: browse and edit the lexicon, translate in a dialogue, see each scene as
a picture, give feedback, follow calibration and versions.

The page is server-rendered (Jinja2 templates under ``web/templates``) with one small script
(``web/static/app.js``) that swaps in HTML fragments from ``/ui/…``, sends edits to the REST
API (``/api/v1``, with ``If-Match``), and holds the ``/ws`` dialogue. Nothing is fetched from
anywhere else: no CDN, no web fonts; glyphs come from the fonts installed locally, named by
:data:`hyperlexicon.picture.FONT_STACK`.

Fragments and the few REST routes added here (``whoami``, the scene picture, the feedback on
a query, the versions an entry appears in, a dialogue, the calibration plot) check the
caller's role exactly like the rest of the API, and call the same ``Lexicon`` facade; the
scene picture is :func:`hyperlexicon.picture.render_svg`, the very drawing the CLI saves.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from .. import models as M
from .. import picture
from ..calibration import explain as explain_calibration
from ..entry import KINDS, PROVENANCES, REGISTERS, STATUSES, Component
from ..errors import BadInputError, NotFoundError
from ..history import changes
from ..scene import HOW, Diagnostic, Lexeme, Scene, Unmatched
from ..styles import LANGS, STYLES
from ..text import form_key
from . import plot
from .api import ERRORS, Body, Editor, Id, LexiconName, Reader, etag, service
from .security import Principal

WEB = Path(__file__).resolve().parent / "web"
FORMATS = ("jsonl", "yaml", "csv", "tbx")
SVG = "image/svg+xml"
SVG_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {SVG: {"schema": {"type": "string"}}}, "description": "an SVG document"}
}
# the page and its fragments load nothing from anywhere but this server
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# an SVG opened on its own may not run or fetch anything
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

_env = Environment(
    loader=FileSystemLoader(str(WEB / "templates")),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)


def _when(iso: Any) -> str:
    """An ISO timestamp as ``YYYY-MM-DD HH:MM`` (UTC, as stored)."""
    return str(iso or "")[:16].replace("T", " ")


def _show(value: Any) -> str:
    """A field's value in a diff or a proposal, compact: lists joined, components written as
    ``lang:meaning@ref`` (the CSV notation), glosses as ``lang: a, b``."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        if "meaning" in value:
            lang = f"{value['lang']}:" if value.get("lang") else ""
            ref = f"@{value['ref']}" if value.get("ref") else ""
            return f"{lang}{value['meaning']}{ref}"
        return "; ".join(f"{k}: {_show(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value) or "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _commands(text: str) -> Markup:
    """Text whose commands are written in backticks (as ``calibration.explain`` writes them,
    readable in a terminal too), with each command as ``<code>``; the rest escaped."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


_env.filters["when"] = _when
_env.filters["commands"] = _commands
_env.filters["show"] = _show


def install(app: Any) -> None:
    """Add the page, its fragments, its REST additions and its static files to ``app``."""
    app.include_router(api)
    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")


def _html(template: str, **context: Any) -> HTMLResponse:
    body = _env.get_template(template).render(
        registers=REGISTERS,
        kinds=KINDS,
        statuses=STATUSES,
        styles=STYLES,
        langs=LANGS,
        formats=FORMATS,
        palette=picture.PALETTE,
        neutral=picture.NEUTRAL,
        **context,
    )
    return HTMLResponse(
        body,
        headers={"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff"},
    )


def _svg(body: str) -> Response:
    return Response(
        body,
        media_type=SVG,
        headers={"Content-Security-Policy": SVG_CSP, "X-Content-Type-Options": "nosniff"},
    )


def _full(record: dict[str, Any]) -> dict[str, Any]:
    """An entry record with every field a template reads (``to_dict`` leaves empty ones out)."""
    out = {
        "kind": "glyph",
        "glosses": {},
        "registers": [],
        "notes": "",
        "examples": [],
        "weight": 0.5,
        "status": "active",
        "provenance": "user",
        **record,
    }
    out["components"] = [
        {"lang": None, "ref": None, **c}
        for c in record.get("components") or ()
        if isinstance(c, dict)
    ]
    out.update(form_texts(out))
    return out


def form_texts(record: dict[str, Any]) -> dict[str, str]:
    """What the edit form's text areas hold: one item a line, in the notations the API reads
    back (``lang: gloss``; a component as ``[lang:]meaning[@form]``, sent as that string).

    Built here rather than in the template: a template's block tags eat line breaks, which
    once fused every component of an entry into one on a save."""
    return {
        "glosses_text": "\n".join(
            f"{lang}: {g}" for lang, items in record.get("glosses", {}).items() for g in items
        ),
        "components_text": "\n".join(
            Component(c["meaning"], c.get("lang"), c.get("ref")).spec()
            for c in record.get("components") or ()
        ),
        "examples_text": "\n".join(record.get("examples") or ()),
    }


def _roles(who: Principal) -> dict[str, bool]:
    return {"can_edit": who.can("editor"), "can_admin": who.can("admin")}


# --- the scene, its links and its picture -----------------------------------------------------


class LexemeIn(Body):
    model_config = ConfigDict(allow_inf_nan=False)

    entry_id: int | None = None
    form: str = Field(..., min_length=1, max_length=400)
    how: str = Field("exact", max_length=16)
    score: float = Field(1.0, ge=0, le=1)
    meaning: str = Field("", max_length=1000)
    kind: str = Field("glyph", max_length=16)
    registers: list[str] = Field(default_factory=list, max_length=10)
    weight: float = Field(0.5, ge=0, le=1)
    source: str = Field("", max_length=1000)
    phase: int = Field(0, ge=0, le=50)
    anchor: bool = False


class UnmatchedIn(Body):
    text: str = Field(..., max_length=1000)
    # where in the text (the picture says "characters a–b"); a scene from /encode has it
    span: list[Annotated[int, Field(ge=0, le=1_000_000)]] = Field(
        default_factory=lambda: [0, 0], min_length=2, max_length=2
    )
    split: list[str] = Field(default_factory=list, max_length=20)


class DiagnosticIn(Body):
    model_config = ConfigDict(allow_inf_nan=False)

    code: str = Field(..., max_length=100)
    message: str = Field("", max_length=1000)
    value: float | None = None
    threshold: float | None = None
    forms: list[str] = Field(default_factory=list, max_length=50)


class SceneIn(Body):
    """What the picture needs of a scene (a scene from /encode, /decode or /ws fits as is)."""

    model_config = ConfigDict(allow_inf_nan=False)

    lexemes: list[LexemeIn] = Field(default_factory=list, max_length=300)
    unmatched: list[UnmatchedIn] = Field(default_factory=list, max_length=100)
    coverage: float = Field(0.0, ge=0, le=1)
    diagnostics: list[DiagnosticIn] = Field(default_factory=list, max_length=50)
    text: str | None = Field(None, max_length=20_000)
    lang: str = Field("ru", max_length=16)

    def scene(self) -> Scene:
        return Scene(
            lexemes=[
                Lexeme(
                    entry_id=x.entry_id,
                    form=x.form,
                    how=x.how if x.how in HOW else "exact",
                    score=x.score,
                    meaning=x.meaning,
                    kind=x.kind,
                    registers=tuple(x.registers),
                    weight=x.weight,
                    source=x.source,
                    phase=x.phase,
                    anchor=x.anchor,
                )
                for x in self.lexemes
            ],
            unmatched=[
                Unmatched(u.text, (u.span[0], u.span[1]), list(u.split)) for u in self.unmatched
            ],
            coverage=self.coverage,
            diagnostics=[Diagnostic(**d.model_dump()) for d in self.diagnostics],
            text=self.text,
            lang=self.lang,
        )


class LinkIn(Body):
    a: str = Field(..., max_length=400)
    b: str = Field(..., max_length=400)
    label: str = Field("", max_length=400)


class PictureIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scene": {
                        "lexemes": [
                            {"form": "🜂", "meaning": "огонь", "registers": ["emotional"]},
                            {"form": "⧖", "meaning": "время", "anchor": True},
                        ],
                        "lang": "ru",
                    },
                    "title": "🜂⧖",
                }
            ]
        }
    )

    scene: SceneIn
    title: str | None = Field(None, max_length=400)
    width: int = Field(880, ge=320, le=4000)
    links: list[LinkIn] | None = Field(
        None,
        max_length=500,
        description="links to draw; left out, they come from the lexicon's entries",
    )


def _logged_scene(lex: Any, query_id: int) -> tuple[Any, Scene]:
    from ..calibration import _scene_of

    q = lex.query(query_id)
    return q, Scene.from_dict(_scene_of(q.mode, q.result))


def _title(q: Any) -> str:
    text = " ".join((q.input or "").split())
    text = text if len(text) <= 80 else text[:79] + "…"
    return f"{q.mode} #{q.id}: {text}" if text else f"{q.mode} #{q.id}"


# --- REST additions ---------------------------------------------------------------------------

api = APIRouter(prefix="/api/v1", responses=ERRORS)


class WhoAmI(BaseModel):
    name: str
    role: str
    can_edit: bool
    can_admin: bool
    tokens: bool = Field(description="whether this server asks for tokens")


@api.get("/whoami", response_model=WhoAmI, tags=["auth"])
def whoami(request: Request, who: Reader) -> dict[str, Any]:
    """Who the caller is.

    The name and role of the token (or the local user when the server has no tokens), and what
    that role may do: what the page shows and which controls it offers."""
    return {
        "name": who.name,
        "role": who.role,
        **_roles(who),
        "tokens": bool(service(request).tokens),
    }


@api.post("/picture", tags=["bridge"], response_class=Response, responses=SVG_RESPONSE)
def scene_picture(
    request: Request, body: PictureIn, who: Reader, lexicon: LexiconName = "core"
) -> Response:
    """Draw a scene as an SVG picture.

    A scene as /encode, /decode or /ws return it; the links come from the lexicon's entries
    unless given. The same drawing as the CLI's ``--svg``."""
    scene = body.scene.scene()
    if body.links is None:
        links = service(request).lexicon(lexicon, who).links(scene)
    else:
        links = [(x.a, x.b, x.label) for x in body.links]
    return _svg(picture.render_svg(scene, links=links, title=body.title, width=body.width))


@api.get(
    "/queries/{query_id}/picture", tags=["bridge"], response_class=Response, responses=SVG_RESPONSE
)
def query_picture(
    request: Request,
    query_id: Id,
    who: Reader,
    lexicon: LexiconName = "core",
    width: Annotated[int, Query(ge=320, le=4000)] = 880,
) -> Response:
    """The picture of a logged query's scene.

    The SVG of the scene the query produced, titled with its mode and input."""
    lex = service(request).lexicon(lexicon, who)
    q, scene = _logged_scene(lex, query_id)
    svg = picture.render_svg(scene, links=lex.links(scene), title=_title(q), width=width)
    return _svg(svg)


class FeedbackOut(BaseModel):
    id: int
    query_id: int
    user: str
    kind: str
    target: str
    form: str | None
    entry_id: int | None
    score: float | None
    how: str | None
    register: str | None = None
    span: str | None
    correction: str | None
    rating: int | None
    created_at: str


def _feedback(lex: Any, query_id: int) -> list[dict[str, Any]]:
    lex.query(query_id)  # 404 for a query this lexicon never logged
    with lex.store.read() as s:
        lx = lex.store.lexicon_id(s, lex.name)
        rows = s.scalars(
            select(M.Feedback)
            .where(M.Feedback.lexicon_id == lx, M.Feedback.query_id == query_id)
            .order_by(M.Feedback.id)
        )
        return [
            {
                **{k: getattr(r, k) for k in FeedbackOut.model_fields if k != "created_at"},
                "created_at": r.created_at.isoformat(),
            }
            for r in rows
        ]


@api.get("/queries/{query_id}/feedback", response_model=list[FeedbackOut], tags=["calibration"])
def query_feedback(
    request: Request, query_id: Id, who: Reader, lexicon: LexiconName = "core"
) -> list[dict[str, Any]]:
    """Every verdict given on one logged query, oldest first.

    Who gave it, what kind, on what (the scene, a lexeme or a span) and with which score."""
    return _feedback(service(request).lexicon(lexicon, who), query_id)


class EntryVersion(BaseModel):
    name: str
    message: str
    author: str
    revision: int
    created_at: str
    entry_revision: int = Field(description="the entry's revision that version holds")
    weight: float | None = None
    status: str | None = None


def _entry_versions(lex: Any, form: str, revisions: list[Any]) -> list[dict[str, Any]]:
    """The versions whose lexicon holds ``form``: for each, the entry's latest revision up to
    the version's mark must exist, not be a delete, and carry this form."""
    key = form_key(form)
    out = []
    for v in lex.versions():
        latest: dict[int, Any] = {}
        for r in revisions:  # newest first
            if r.id <= v.revision_id:
                latest.setdefault(r.entry_id, r)
        held = [
            r
            for r in latest.values()
            if r.op != "delete" and r.after and form_key(str(r.after.get("form", ""))) == key
        ]
        if held:
            r = max(held, key=lambda x: x.id)
            out.append(
                {
                    **v.to_dict(),
                    "entry_revision": r.id,
                    "weight": r.after.get("weight"),
                    "status": r.after.get("status"),
                }
            )
    return out


@api.get("/entries/{form}/versions", response_model=list[EntryVersion], tags=["entries"])
def entry_versions(
    request: Request, form: str, who: Reader, lexicon: LexiconName = "core"
) -> list[dict[str, Any]]:
    """The named versions an entry appears in.

    For each version, the entry's revision it holds and the weight and status it had then."""
    lex = service(request).lexicon(lexicon, who)
    revisions = lex.history(form)
    if not revisions:
        lex.get(form)  # 404 when there never was such an entry
    return _entry_versions(lex, form, revisions)


class DialogueTurnOut(BaseModel):
    turn: int
    request: dict[str, Any] = Field(description="the message as the client sent it over /ws")
    result: dict[str, Any] | None = Field(description="what the turn answered, with its scene")
    query_id: int | None = Field(description="the logged query (feedback refers to it)")


class DialogueOut(BaseModel):
    dialogue: str
    lexicon: str
    author: str
    turns: list[DialogueTurnOut]


@api.get("/dialogues/{dialogue_id}", response_model=DialogueOut, tags=["bridge"])
def dialogue(
    request: Request, dialogue_id: Annotated[str, FastPath(max_length=100)], who: Reader
) -> dict[str, Any]:
    """One dialogue held over /ws, with every turn.

    Each turn's request, result and logged query, oldest first: what the page's Dialogue shows
    and what a reconnecting client resumes. Another user's dialogue does not exist for the
    caller (404) unless the caller is an admin, as over /ws."""
    lexicon, author, turns = service(request).dialogue(dialogue_id)
    if author != who.name and not who.can("admin"):
        raise NotFoundError(f"no dialogue {dialogue_id}")
    return {"dialogue": dialogue_id, "lexicon": lexicon, "author": author, "turns": turns}


@api.get("/calibration/plot", tags=["stats"], response_class=Response, responses=SVG_RESPONSE)
def calibration_plot(
    request: Request,
    who: Reader,
    lexicon: LexiconName = "core",
    width: Annotated[int, Query(ge=480, le=4000)] = 880,
) -> Response:
    """Calibration over time, as an SVG plot.

    The threshold of each register and the held-out precision and recall each calibration
    measured; says so in words when there is nothing to plot yet."""
    lex = service(request).lexicon(lexicon, who)
    return _svg(plot.render(lex.calibration_history(), width=width))


# --- the page and its fragments ---------------------------------------------------------------

pages = APIRouter(include_in_schema=False)


@pages.get("/")
def index(request: Request) -> HTMLResponse:
    """The page itself: no data in it, so it needs no token (the data do)."""
    return _html("index.html", font_stack=picture.FONT_STACK)


@pages.get("/ui/theme.css")
def theme() -> Response:
    """The font stack and register colours, from the same constants the picture uses."""
    body = _env.get_template("theme.css").render(
        font_stack=picture.FONT_STACK, palette=picture.PALETTE, neutral=picture.NEUTRAL
    )
    return Response(body, media_type="text/css")


SORTABLE = (("form", "Form"), ("kind", "Kind"), ("weight", "Weight"), ("status", "Status"))


@pages.get("/ui/entries")
def ui_entries(
    request: Request,
    who: Reader,
    q: Annotated[str, Query(max_length=1000)] = "",
    lexicon: LexiconName = "core",
    mode: Annotated[str, Query(pattern="^(hybrid|exact|semantic)$")] = "hybrid",
    kind: Annotated[str, Query(max_length=20)] = "",
    register: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    sort: Annotated[str, Query(pattern="^(form|kind|weight|status|updated)$")] = "kind",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
) -> HTMLResponse:
    """The lexicon's list: one page of the entries under the filters, by the chosen column
    (glyphs before Δ-codes by default), with the total and the facet counts; or the hits of a
    search."""
    for name, value, allowed in (
        ("kind", kind, KINDS),
        ("register", register, REGISTERS),
        ("status", status, STATUSES),
    ):
        if value and value not in allowed:
            raise BadInputError(f"{name}: one of {', '.join(allowed)}")
    lex = service(request).lexicon(lexicon, who)
    filters = {"kind": kind or None, "register": register or None, "status": status or None}
    chosen = {k: v for k, v in filters.items() if v}
    total, counts = None, None
    if q.strip():
        hits = lex.search(q.strip(), mode=mode, limit=min(limit, 20), **filters)
        rows = [{"entry": _full(h.entry.to_dict()), "match": h.match, "text": h.text} for h in hits]
        api_params = {"q": q.strip(), "mode": mode, **chosen}
        api_path = "/api/v1/search"
    else:
        found = lex.entries(limit=limit, offset=offset, sort=sort, order=order, **filters)
        rows = [{"entry": _full(e.to_dict()), "match": None, "text": None} for e in found]
        total = lex.count(**filters)
        counts = lex.facets(**filters)
        api_params = {**chosen, "sort": sort, "order": order, "limit": limit, "offset": offset}
        api_path = "/api/v1/entries"
    return _html(
        "_entries.html",
        rows=rows,
        q=q.strip(),
        mode=mode,
        offset=offset,
        limit=limit,
        total=total,
        facets=counts,
        chosen=chosen,
        sort=sort,
        order=order,
        sortable=SORTABLE,
        json_link=_api_link(api_path, lexicon, api_params),
        lexicon=lexicon,
        **_roles(who),
    )


def _api_link(path: str, lexicon: str, params: dict[str, Any] | None = None) -> str:
    """The REST resource a view shows, as a link to its JSON (every view has one: what the
    page shows, a script can fetch as it is)."""
    query = urlencode({"lexicon": lexicon, **{k: v for k, v in (params or {}).items() if v}})
    return f"{path}?{query}"


def _entry_path(form: str) -> str:
    return f"/api/v1/entries/{quote(form, safe='')}"


def _history(revisions: list[Any], entry_id: int) -> list[dict[str, Any]]:
    """The entry's revisions with their changes, field by field; a revision is offered for
    revert when it is this entry's (not a former holder's of the form) and is not a delete
    (a live entry's past deletes were of another entry: restoring one would clash)."""
    return [
        {
            **r.to_dict(),
            "changes": changes(r),
            "revertible": r.entry_id == entry_id and r.op != "delete",
        }
        for r in revisions
    ]


@pages.get("/ui/entries/{form}")
def ui_entry(request: Request, form: str, who: Reader, lexicon: LexiconName = "core") -> Response:
    lex = service(request).lexicon(lexicon, who)
    stored = lex.get(form)
    revisions = lex.history(form)
    history = _history(revisions, stored.id)
    response = _html(
        "_entry.html",
        entry=_full(stored.to_dict()),
        etag=etag(stored),
        history=history,
        versions=_entry_versions(lex, stored.form, revisions),
        links={
            "entry": _api_link(_entry_path(stored.form), lexicon),
            "history": _api_link(f"{_entry_path(stored.form)}/history", lexicon),
            "versions": _api_link(f"{_entry_path(stored.form)}/versions", lexicon),
        },
        lexicon=lexicon,
        **_roles(who),
    )
    response.headers["ETag"] = etag(stored)
    return response


@pages.get("/ui/entry-form")
def ui_entry_form(
    request: Request,
    who: Editor,
    form: Annotated[str, Query(max_length=400)] = "",
    lexicon: LexiconName = "core",
) -> HTMLResponse:
    entry, tag = None, None
    if form:
        stored = service(request).lexicon(lexicon, who).get(form)
        entry, tag = _full(stored.to_dict()), etag(stored)
    return _html(
        "_entry_form.html",
        entry=entry,
        etag=tag,
        json_link=_api_link(_entry_path(form) if form else "/api/v1/entries", lexicon),
        lexicon=lexicon,
        provenances=PROVENANCES,
        **_roles(who),
    )


def _scene_fragment(
    lex: Any, who: Principal, scene: Scene, query: Any | None, title: str | None
) -> HTMLResponse:
    links = lex.links(scene)  # what the CLI's --svg draws too
    svg = picture.render_svg(scene, links=links, title=title)
    return _html(
        "_scene.html",
        svg=Markup(svg),
        description=picture.describe(scene, links=links),
        scene=scene,
        query=query,
        feedback=_feedback(lex, query.id) if query is not None else [],
        links=_query_links(lex.name, query.id) if query is not None else {},
        **_roles(who),
    )


def _query_links(lexicon: str, query_id: int) -> dict[str, str]:
    return {
        "query": _api_link(f"/api/v1/queries/{query_id}", lexicon),
        "feedback": _api_link(f"/api/v1/queries/{query_id}/feedback", lexicon),
    }


@pages.get("/ui/queries/{query_id}")
def ui_query(
    request: Request, query_id: Id, who: Reader, lexicon: LexiconName = "core"
) -> HTMLResponse:
    lex = service(request).lexicon(lexicon, who)
    q, scene = _logged_scene(lex, query_id)
    return _scene_fragment(lex, who, scene, q, _title(q))


@pages.post("/ui/scene")
def ui_scene(
    request: Request, body: PictureIn, who: Reader, lexicon: LexiconName = "core"
) -> HTMLResponse:
    lex = service(request).lexicon(lexicon, who)
    return _scene_fragment(lex, who, body.scene.scene(), None, body.title)


@pages.get("/ui/versions")
def ui_versions(request: Request, who: Reader, lexicon: LexiconName = "core") -> HTMLResponse:
    lex = service(request).lexicon(lexicon, who)
    versions = [{**v.to_dict(), "previous": None} for v in reversed(lex.versions())]  # newest first
    for newer, older in itertools.pairwise(versions):
        newer["previous"] = older["name"]
    return _html(
        "_versions.html",
        versions=versions,
        json_link=_api_link("/api/v1/versions", lexicon),
        lexicon=lexicon,
        **_roles(who),
    )


@pages.get("/ui/diff")
def ui_diff(
    request: Request,
    who: Reader,
    a: Annotated[str, Query(min_length=1, max_length=200)],
    b: Annotated[str, Query(min_length=1, max_length=200)] = "working",
    lexicon: LexiconName = "core",
) -> HTMLResponse:
    d = service(request).lexicon(lexicon, who).diff(a, b).to_dict()
    d["added"] = [_full(e) for e in d["added"]]
    d["removed"] = [_full(e) for e in d["removed"]]
    return _html(
        "_diff.html",
        diff=d,
        json_link=_api_link("/api/v1/diff", lexicon, {"a": a, "b": b}),
        lexicon=lexicon,
        **_roles(who),
    )


@pages.get("/ui/proposals")
def ui_proposals(
    request: Request,
    who: Reader,
    lexicon: LexiconName = "core",
    status: Annotated[str, Query(pattern="^(open|accepted|rejected|all)$")] = "open",
) -> HTMLResponse:
    lex = service(request).lexicon(lexicon, who)
    items = lex.proposals(status=None if status == "all" else status, limit=200)
    return _html(
        "_proposals.html",
        proposals=[{**p.to_dict(), "entry": _full(p.to_dict()["entry"])} for p in items],
        status=status,
        support=lex.growth_rules()["proposal_support"],
        json_link=_api_link("/api/v1/proposals", lexicon, {"status": status, "limit": 200}),
        lexicon=lexicon,
        **_roles(who),
    )


@pages.get("/ui/calibration")
def ui_calibration(request: Request, who: Reader, lexicon: LexiconName = "core") -> HTMLResponse:
    lex = service(request).lexicon(lexicon, who)
    report = lex.calibration_report()
    history = lex.calibration_history()
    latest = {**history[0], "explained": explain_calibration(history[0])} if history else None
    return _html(
        "_calibration.html",
        report=report,
        latest=latest,
        json_link=_api_link("/api/v1/stats/calibration", lexicon),
        plot=Markup(plot.render(history)),
        table=plot.series(history),
        series=plot.SERIES,
        lexicon=lexicon,
        **_roles(who),
    )


@pages.get("/ui/jobs")
def ui_jobs(request: Request, who: Reader) -> HTMLResponse:
    jobs = [j.to_dict() for j in service(request).jobs.list(limit=20)]
    return _html("_jobs.html", jobs=jobs, json_link="/api/v1/jobs?limit=20", **_roles(who))
