"""The REST resources. Every route is a thin call into the ``Lexicon`` facade (the same one the
CLI uses) with the caller's identity; nothing here decides anything about the lexicon."""

from __future__ import annotations

import io
import json
import warnings
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from ..entry import EntryData
from ..errors import BadInputError, RateLimitError
from ..store import LEXICON_NAME, LEXICON_NAME_MAX
from ..text import surrogate_problem
from .problems import Problem, ProblemError
from .security import Principal, RateLimiter, authenticate, refusal
from .service import Service
from .translation import check_paid, image_options, translation

# ``register`` is the domain's word (a lexeme's register); pydantic warns only because ABCMeta
# gives every model a ``register`` classmethod, which no model here uses.
warnings.filterwarnings("ignore", 'Field name "register"', UserWarning)

Mode = Literal["hybrid", "exact", "semantic"]
Kind = Literal["glyph", "compound", "delta", "phrase"]
Register = Literal["emotional", "logical", "poetic", "philosophical", "technical"]
Status = Literal["proposed", "active", "deprecated", "rejected"]
Style = Literal["narrative", "essay", "formula", "poem"]
Lang = Literal["ru", "en"]

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": desc}
    for code, desc in {
        400: "the body could not be parsed (not JSON, or not form data)",
        401: "missing or wrong token",
        403: "the token's role may not do this",
        404: "no such thing",
        409: "conflict",
        413: "request body too large",
        422: "bad input",
        429: "rate limit",
        503: "the index is busy, damaged or built with another embedder",
    }.items()
}
BRIDGE_ERRORS: dict[int | str, dict[str, Any]] = {
    502: {"model": Problem, "description": "every connector in the chain failed"}
}


def service(request: Request) -> Service:
    return request.app.state.service


async def principal(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_hyperlexicon_author: Annotated[
        str | None,
        Header(
            max_length=100,
            description="who made a change, when the server has no tokens (the local user); "
            "with tokens the token's name is the author and this is ignored",
        ),
    ] = None,
) -> Principal:
    svc = service(request)
    who = authenticate(authorization, svc.tokens)
    if who is None:
        raise ProblemError(401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})
    if not svc.tokens and x_hyperlexicon_author and x_hyperlexicon_author.isprintable():
        who = Principal(x_hyperlexicon_author.strip() or who.name, who.role)
    key = who.name if svc.tokens else (request.client.host if request.client else "local")
    limiter = svc.limiter
    if type(limiter) is RateLimiter:  # in this process's memory: a dict and a lock, no I/O
        allowed, wait = limiter.allow(key)
    else:  # a shared limiter asks the database or Redis: not on the event loop
        allowed, wait = await run_in_threadpool(limiter.allow, key)
    if not allowed:
        message, seconds = refusal(wait)
        raise ProblemError(429, message, {"Retry-After": str(seconds)}, code=RateLimitError.code)
    return who


def role(required: str) -> Any:
    # async (as ``principal``): a sync dependency costs each request a hop to the threadpool
    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not who.can(required):
            raise ProblemError(403, f"this needs the {required} role; the token has {who.role}")
        return who

    return check


Reader = Annotated[Principal, Depends(role("reader"))]
Editor = Annotated[Principal, Depends(role("editor"))]
Admin = Annotated[Principal, Depends(role("admin"))]


def check_connectors(
    who: Principal, connectors: list[str], *, image: bool = False, field: str = "connectors"
) -> None:
    """Installed connectors only (a typo is bad input, not a failed upstream), paid ones for
    admins only, and for an image, a chain with a connector that reads images."""
    from ..plugins import registered_connectors

    registry = registered_connectors()
    unknown = [c for c in connectors if c not in registry]
    if unknown:
        raise ProblemError(
            422,
            f"{field}: unknown connector(s) {', '.join(map(repr, unknown))} "
            f"(installed: {', '.join(sorted(registry))})",
        )
    check_paid(who, connectors)
    if image:
        from ..connectors import require_image_reader

        require_image_reader(connectors, field=field)


# --- models ---------------------------------------------------------------------------------

MAX_ID = 2**31 - 1  # ids and counts fit the databases' integer columns (PostgreSQL: 32 bits)


def _integral(value: Any) -> Any:
    """5.0 is the integer 5 in JSON; "5" is not (the body models are strict)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_integral)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
ConnectorName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
Chain = Annotated[
    list[ConnectorName],
    Field(max_length=8, description="connectors to try in order; empty: the lexicon alone"),
]


def _lone_surrogate(value: Any, where: str) -> str | None:
    """Where a string of the body holds a lone surrogate (``text.surrogate_problem``): refused
    before anything reads it."""
    if isinstance(value, str):
        problem = surrogate_problem(value)
        return f"{where} {problem}" if problem else None
    if isinstance(value, dict):
        items: Any = ((f"{where}.{k}".lstrip("."), k, v) for k, v in value.items())
        return next(
            (
                problem
                for at, k, v in items
                for problem in (_lone_surrogate(k, at), _lone_surrogate(v, at))
                if problem
            ),
            None,
        )
    if isinstance(value, list):
        return next(
            (p for i, v in enumerate(value) if (p := _lone_surrogate(v, f"{where}[{i}]"))), None
        )
    return None


class Body(BaseModel):
    """A request body: JSON types as the schema says them (no "5" for 5, no 0 for false)."""

    model_config = ConfigDict(strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_lone_surrogates(cls, data: Any) -> Any:
        problem = _lone_surrogate(data, "")
        if problem:  # a custom error: the message as written, without "Value error, "
            raise PydanticCustomError("lone_surrogate", problem)
        return data


class ComponentModel(Body):
    meaning: str
    lang: str | None = None
    ref: str | None = None


# a component as an object, or as its notation ``[lang:]meaning[@form]`` (the web page's form
# and CSV write it so); a meaning or link that holds what the notation reads as another
# component is refused (422)
ComponentIn = ComponentModel | Annotated[str, Field(max_length=2000)]


def _components(items: list[ComponentIn]) -> list[Any]:
    return [c.model_dump(exclude_none=True) if isinstance(c, ComponentModel) else c for c in items]


class EntryIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "form": "🜅",
                    "glosses": {"ru": ["кислота"], "en": ["acid"]},
                    "components": ["ru:разъедание", "en:fire@🜂"],
                    "registers": ["technical"],
                    "weight": 0.6,
                }
            ]
        }
    )

    form: str
    kind: Kind | None = None
    glosses: dict[str, list[str]] = Field(default_factory=dict)
    components: list[ComponentIn] = Field(default_factory=list)
    registers: list[Register] = Field(default_factory=list)
    weight: float = Field(0.5, ge=0, le=1)
    status: Status = "active"
    provenance: Literal["seed", "user", "import", "feedback", "connector"] = "user"
    notes: str = ""
    examples: list[str] = Field(default_factory=list)

    def data(self) -> EntryData:
        record = self.model_dump(exclude_none=True)
        record["components"] = _components(self.components)
        return EntryData.from_dict(record, where="body")


class EntryPatch(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"weight": 0.62, "registers": ["poetic", "philosophical"]}]}
    )

    form: str | None = None
    kind: Kind | None = None
    glosses: dict[str, list[str]] | None = None
    components: list[ComponentIn] | None = None
    registers: list[Register] | None = None
    weight: float | None = Field(None, ge=0, le=1)
    status: Status | None = None
    notes: str | None = None
    examples: list[str] | None = None


class EntryOut(BaseModel):
    id: int
    lexicon: str
    form: str
    kind: str
    glosses: dict[str, list[str]]
    components: list[ComponentModel] = Field(default_factory=list)
    registers: list[str]
    weight: float
    status: str
    provenance: str
    notes: str = ""
    examples: list[str] = Field(default_factory=list)
    row_version: int
    created_at: str
    updated_at: str


class FieldChange(BaseModel):
    field: str
    before: Any = Field(description="the field's value before the revision (null: no entry)")
    after: Any = Field(description="the field's value after it (null: no entry)")


class Revision(BaseModel):
    id: int
    entry_id: int
    form: str
    op: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    author: str
    reason: str | None
    created_at: str
    changes: list[FieldChange] = Field(
        default_factory=list, description="what the revision changed, field by field"
    )


def revision_out(r: Any) -> dict[str, Any]:
    """A revision with its field-by-field changes (``history.changes``)."""
    from ..history import changes

    return {
        **r.to_dict(),
        "changes": [{"field": k, "before": a, "after": b} for k, (a, b) in changes(r).items()],
    }


class Hit(BaseModel):
    form: str
    match: str
    field: str
    text: str
    score: float
    entry: EntryOut


class SceneOut(BaseModel):
    hyperstring: str
    lexemes: list[dict[str, Any]]
    anchors: list[str]
    field: dict[str, Any]
    coverage: float
    unmatched: list[dict[str, Any]]
    diagnostics: list[dict[str, Any]]
    text: str | None = None
    lang: str
    lexicon: str
    revision: int
    notes: list[str] = Field(default_factory=list)
    query_id: int | None = None
    near_misses: list[dict[str, Any]] = Field(default_factory=list)


class EncodeIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"text": "Что ты чувствуешь перед бурей?", "register": "poetic"}]
        }
    )

    text: str = Field("", max_length=20_000)
    register: Register | None = None
    lang: Lang | None = None
    stability: bool = True
    connectors: Chain = Field(default_factory=list)
    image_base64: str | None = Field(
        None, description="an image to encode (a connector that reads images)"
    )
    image_type: Literal["image/png", "image/jpeg", "image/gif", "image/webp"] | None = None


class DecodeIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"hyperstring": "🜂⧖🕯", "style": "formula", "lang": "en"}]}
    )

    hyperstring: str = Field(..., min_length=1, max_length=20_000)
    style: Style = "narrative"
    lang: Lang = "ru"
    register: Register | None = None
    connectors: Chain = Field(default_factory=list)


class CompressIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"scenes": ["🜂⧖🕯", "⟁☰☉⚭"], "lang": "ru", "limit": 4}]}
    )

    scenes: list[str] = Field(..., min_length=1, max_length=100)
    lang: Lang = "ru"
    limit: JsonInt | None = Field(None, ge=1, le=MAX_ID)
    connectors: Chain = Field(default_factory=list)


class AskIn(Body):
    """A question, in ``text`` as for /encode (``question`` is the earlier name, still read)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Как найти дорогу домой?"}]})

    text: str | None = Field(None, min_length=1, max_length=20_000, description="the question")
    question: str | None = Field(
        None, min_length=1, max_length=20_000, description="the same as text (the earlier name)"
    )
    lang: Lang | None = None
    connectors: Chain = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_text(self) -> AskIn:
        if self.text is None and self.question is None:
            raise ValueError("text: required (the question)")
        if self.text is not None and self.question is not None and self.text != self.question:
            raise ValueError("text and question: give one (question is text's earlier name)")
        return self

    @property
    def asked(self) -> str:
        return self.text if self.text is not None else str(self.question)


class Translation(BaseModel):
    """What any of encode, decode, compress, ask returns over HTTP."""

    mode: str
    connector: str
    text: str
    hyperstring: str
    scene: SceneOut | None
    unknown: list[str] = Field(default_factory=list)
    failures: list[dict[str, str]] = Field(default_factory=list)
    usage: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None
    output: str = Field("", description="what the connector said, as it said it")
    detail: dict[str, Any] | None = Field(
        None,
        description="the lexicon's own decoding or answer in full, when no connector was asked",
    )


class VersionIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "v2", "message": "the sun, brighter"}]}
    )

    name: str = Field(..., min_length=1, max_length=100)
    message: str = ""


class VersionOut(BaseModel):
    name: str
    message: str
    author: str
    revision: int
    created_at: str
    entries: int | None = None


class FeedbackIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"query_id": 1, "kind": "reject", "lexeme": "⛈"}]}
    )

    query_id: JsonInt = Field(..., ge=1, le=MAX_ID)
    kind: Literal["accept", "reject", "correct", "rate"]
    lexeme: str | None = None
    span: str | None = Field(None, max_length=1000)
    correction: str | None = Field(None, max_length=1000)
    register: Register | None = None
    rating: JsonInt | None = Field(None, ge=1, le=5)


class ProposalPatch(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"glosses": {"ru": ["тигель"], "en": ["crucible"]}, "registers": ["technical"]}
            ]
        }
    )

    form: str | None = None
    kind: Kind | None = None
    glosses: dict[str, list[str]] | None = None
    components: list[ComponentIn] | None = None
    registers: list[Register] | None = None


class CalibrateIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"target_precision": 0.8, "folds": 5, "weights": False}]}
    )

    target_precision: float | None = Field(None, gt=0, le=1)
    folds: JsonInt = Field(5, ge=2, le=20)
    dry_run: bool = False
    weight_floor: float | None = Field(None, ge=0, le=1)
    weights: bool = False


class EncodeBatchIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"texts": ["огонь и время", "буря над морем"], "register": "poetic"}]
        }
    )

    texts: list[str] = Field(..., min_length=1, max_length=10_000)
    register: Register | None = None


class JobOut(BaseModel):
    id: str
    lexicon: str
    kind: str
    state: str
    progress: dict[str, int | None]
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    author: str
    created_at: str
    updated_at: str
    owner: str | None = Field(
        None, description="the server running the job (its HYPERLEXICON_SERVER_ID)"
    )
    heartbeat_at: str | None = Field(None, description="when that server last said it runs it")
    lease_until: str | None = Field(
        None, description="until then no other server takes it over; null once it has ended"
    )


class PromptIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"prompt": "decode[poem, en]: 🜂⧖🕯"}]})

    prompt: str = Field(
        ..., min_length=1, max_length=50_000, description="a HyperPrompt, text or JSON form"
    )


# --- helpers --------------------------------------------------------------------------------


def entry_json(entry: Any) -> bytes:
    """An entry as EntryOut writes it (the same keys, order and JSON), without validating it."""
    d = entry.to_dict()
    out = {
        "id": d["id"],
        "lexicon": d["lexicon"],
        "form": d["form"],
        "kind": d["kind"],
        "glosses": d["glosses"],
        "components": [
            {"meaning": c["meaning"], "lang": c.get("lang"), "ref": c.get("ref")}
            for c in d.get("components") or ()
        ],
        "registers": d["registers"],
        "weight": float(d["weight"]),
        "status": d["status"],
        "provenance": d["provenance"],
        "notes": d.get("notes", ""),
        "examples": d.get("examples", []),
        "row_version": d["row_version"],
        "created_at": d["created_at"],
        "updated_at": d["updated_at"],
    }
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()


def etag(entry: Any) -> str:
    return f'"{entry.id}-{entry.row_version}"'


def expected_version(if_match: str | None, current: Any) -> int:
    """The row version an If-Match names: 428 without one, 412 when it is not current."""
    if if_match is None:
        raise ProblemError(
            428, "send If-Match with the entry's ETag (a stale edit is refused, not lost)"
        )
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if "*" in tags or etag(current) in tags:
        return current.row_version
    from ..store import stale_edit

    mine = [t for t in tags if t.startswith(f'"{current.id}-') and t[:-1].split("-")[-1].isdigit()]
    if len(mine) == 1:  # an earlier ETag of this entry: say it as the library does
        based_on = int(mine[0][:-1].split("-")[-1])
        detail = stale_edit(current.data.form, current.row_version, based_on)
    else:
        detail = f"the entry changed: it is at {etag(current)}, not {if_match}"
    raise ProblemError(412, detail, {"ETag": etag(current)})  # the tag to base a retry on


router = APIRouter(prefix="/api/v1", responses=ERRORS)
LexiconName = Annotated[
    str,
    Query(
        pattern=LEXICON_NAME,
        max_length=LEXICON_NAME_MAX,
        description="the lexicon (default: core)",
    ),
]


# --- lexicons ---------------------------------------------------------------------------------


@router.get("/lexicons", tags=["lexicons"])
def list_lexicons(request: Request, who: Reader) -> list[dict[str, Any]]:
    """List the lexicons in this store.

    Each with its description, how many entries it holds and when it was made. Every other
    route acts on one of them, chosen with ``?lexicon=`` (default ``core``)."""
    return service(request).lexicon("core", who).lexicons()


class LexiconIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "poems", "description": "glyphs of the poems"}]}
    )

    name: str = Field(..., pattern=LEXICON_NAME, max_length=LEXICON_NAME_MAX)
    description: str = ""


@router.post("/lexicons", status_code=201, tags=["lexicons"])
def create_lexicon(request: Request, body: LexiconIn, who: Admin) -> dict[str, str]:
    """Create an empty lexicon (admin).

    Its name is lower-case letters, digits, ``-``, ``_`` or ``.``; a name already taken is 409.
    Fill it with ``POST /import`` or entry by entry."""
    service(request).lexicon("core", who).create_lexicon(body.name, body.description)
    return {"name": body.name}


@router.delete("/lexicons/{name}", status_code=204, tags=["lexicons"])
def delete_lexicon(
    request: Request,
    name: Annotated[str, Path(pattern=LEXICON_NAME, max_length=LEXICON_NAME_MAX)],
    who: Admin,
) -> Response:
    """Delete a lexicon with everything in it (admin).

    Its entries, history, versions, query log and proposals go with it, and cannot be brought
    back (the CLI asks first). Export it before if in doubt."""
    service(request).lexicon("core", who).delete_lexicon(name)
    return Response(status_code=204)


# --- entries ----------------------------------------------------------------------------------


Sort = Literal["form", "kind", "weight", "status", "updated"]
Order = Literal["asc", "desc"]
TOTAL = "X-Total-Count"


@router.get(
    "/entries",
    response_model=list[EntryOut],
    tags=["entries"],
    responses={
        200: {
            "description": "one page of entries",
            "headers": {
                TOTAL: {
                    "description": "how many entries the filters match (not the page's size)",
                    "schema": {"type": "integer"},
                }
            },
        }
    },
)
def list_entries(
    request: Request,
    response: Response,
    who: Reader,
    lexicon: LexiconName = "core",
    kind: Kind | None = None,
    register: Register | None = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    sort: Annotated[
        Sort,
        Query(description="form; kind (glyphs first, Δ-codes last); weight; status; updated"),
    ] = "form",
    order: Order = "asc",
) -> list[dict[str, Any]]:
    """A page of entries, filtered and sorted.

    Ties are in form order. The ``X-Total-Count`` header says how many entries the filters
    match in all, so a client can page through them."""
    lex = service(request).lexicon(lexicon, who)
    filters = {"kind": kind, "register": register, "status": status}
    response.headers[TOTAL] = str(lex.count(**filters))
    return [
        e.to_dict()
        for e in lex.entries(**filters, limit=limit, offset=offset, sort=sort, order=order)
    ]


class Facets(BaseModel):
    total: int = Field(description="entries under all the filters")
    kind: dict[str, int] = Field(description="entries per kind, under the other filters")
    # (a default given: BaseModel's inherited ``register`` method would be taken for one)
    register: dict[str, int] = Field(
        default_factory=dict, description="entries per register, under the other filters"
    )
    status: dict[str, int] = Field(description="entries per status, under the other filters")


@router.get("/facets", response_model=Facets, tags=["entries"])
def facets(
    request: Request,
    who: Reader,
    lexicon: LexiconName = "core",
    kind: Kind | None = None,
    register: Register | None = None,
    status: Status | None = None,
) -> dict[str, Any]:
    """How many entries have each kind, register and status.

    Each facet counts under the other two filters (not its own), so every value it offers
    shows how many entries choosing it would list; ``total`` is under all three."""
    lex = service(request).lexicon(lexicon, who)
    filters = {"kind": kind, "register": register, "status": status}
    return {"total": lex.count(**filters), **lex.facets(**filters)}


@router.post("/entries", status_code=201, response_model=EntryOut, tags=["entries"])
def create_entry(
    request: Request,
    response: Response,
    body: EntryIn,
    who: Editor,
    lexicon: LexiconName = "core",
    reason: str | None = None,
) -> dict[str, Any]:
    """Add an entry (editor).

    The form must be new to the lexicon (409 otherwise); the kind is inferred from the form when
    left out. Components come as objects or in their ``[lang:]meaning[@form]`` notation. The
    answer carries the entry's ``ETag`` (for later edits) and its ``Location``; ``reason`` is kept
    in the history."""
    lex = service(request).lexicon(lexicon, who)
    stored = lex.add(body.data(), reason=reason)
    response.headers["ETag"] = etag(stored)
    # header values are Latin-1: a form like 🜂 goes percent-encoded
    location = f"/api/v1/entries/{quote(stored.form, safe='')}?lexicon={lexicon}"
    response.headers["Location"] = location
    return stored.to_dict()


@router.get(
    "/entries/{form}",
    response_model=None,
    tags=["entries"],
    responses={200: {"model": EntryOut, "description": "Successful Response"}},
)
def get_entry(request: Request, form: str, who: Reader, lexicon: LexiconName = "core") -> Response:
    """Read one entry by its form.

    The form is matched as typed, after NFC and case folding. The ``ETag`` header is what a later
    PUT, PATCH or DELETE sends back in ``If-Match``."""
    stored = service(request).lexicon(lexicon, who).get(form)
    # the lookup is the hot path: the entry is written out here, not validated again against
    # EntryOut (what its to_dict holds already) in a second hop to the threadpool
    return Response(
        entry_json(stored), media_type="application/json", headers={"ETag": etag(stored)}
    )


def _write(
    request: Request,
    response: Response,
    who: Principal,
    lexicon: str,
    form: str,
    if_match: str | None,
    change: Any,
) -> dict[str, Any]:
    """An entry write under If-Match: ``change(lex, row_version)`` runs only when the tag is
    current (the store checks the version again inside its transaction); the new ETag goes
    back."""
    lex = service(request).lexicon(lexicon, who)
    stored = change(lex, expected_version(if_match, lex.get(form)))
    response.headers["ETag"] = etag(stored)
    return stored.to_dict()


@router.put(
    "/entries/{form}",
    response_model=EntryOut,
    tags=["entries"],
    responses={412: {"model": Problem}, 428: {"model": Problem}},
)
def replace_entry(
    request: Request,
    response: Response,
    form: str,
    body: EntryIn,
    who: Editor,
    if_match: Annotated[str | None, Header()] = None,
    lexicon: LexiconName = "core",
    reason: str | None = None,
) -> dict[str, Any]:
    """Replace an entry (editor), under If-Match.

    The body is the whole entry, as for POST. Without ``If-Match`` the answer is 428; with an
    ETag that is no longer current, 412 and the current ETag, and nothing changes. Saving it
    unchanged makes no revision."""
    data = body.data()
    return _write(
        request,
        response,
        who,
        lexicon,
        form,
        if_match,
        lambda lex, version: lex.edit(
            form, lambda _current: data, expect_version=version, reason=reason
        ),
    )


@router.patch(
    "/entries/{form}",
    response_model=EntryOut,
    tags=["entries"],
    responses={412: {"model": Problem}, 428: {"model": Problem}},
)
def patch_entry(
    request: Request,
    response: Response,
    form: str,
    body: EntryPatch,
    who: Editor,
    if_match: Annotated[str | None, Header()] = None,
    lexicon: LexiconName = "core",
    reason: str | None = None,
) -> dict[str, Any]:
    """Change some fields of an entry (editor), under If-Match.

    Only the fields given change; the others stay as stored. ``If-Match`` is required as for PUT
    (428 without, 412 when stale). An empty body is 422."""
    changes = body.model_dump(exclude_none=True)
    if "components" in changes:
        changes["components"] = _components(body.components or [])
    if not changes:
        raise BadInputError("body: nothing to change")
    return _write(
        request,
        response,
        who,
        lexicon,
        form,
        if_match,
        lambda lex, version: lex.edit(form, expect_version=version, reason=reason, **changes),
    )


@router.delete(
    "/entries/{form}",
    status_code=204,
    tags=["entries"],
    responses={412: {"model": Problem}, 428: {"model": Problem}},
)
def delete_entry(
    request: Request,
    form: str,
    who: Editor,
    if_match: Annotated[str | None, Header()] = None,
    lexicon: LexiconName = "core",
    reason: str | None = None,
) -> Response:
    """Delete an entry (editor), under If-Match.

    Its history stays: the delete is a revision, and ``POST /revisions/{id}/revert`` of that
    revision (or a rollback) restores it."""
    lex = service(request).lexicon(lexicon, who)
    version = expected_version(if_match, lex.get(form))
    lex.remove(form, expect_version=version, reason=reason)
    return Response(status_code=204)


@router.get("/entries/{form}/history", response_model=list[Revision], tags=["entries"])
def entry_history(
    request: Request, form: str, who: Reader, lexicon: LexiconName = "core"
) -> list[dict[str, Any]]:
    """Every revision of one entry, newest first.

    Who, when, why, the operation, the snapshots before and after, and ``changes``: what the
    revision changed, field by field. A form deleted long ago still has its history here."""
    lex = service(request).lexicon(lexicon, who)
    revisions = lex.history(form)
    if not revisions:
        lex.get(form)  # 404 when there never was such an entry
    return [revision_out(r) for r in revisions]


@router.get("/history", response_model=list[Revision], tags=["entries"])
def history(
    request: Request,
    who: Reader,
    lexicon: LexiconName = "core",
    form: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> list[dict[str, Any]]:
    """Revisions of the lexicon, newest first.

    Of one form when ``form`` is given (a form removed long ago still has its history here); each
    with its field-by-field ``changes``."""
    lex = service(request).lexicon(lexicon, who)
    return [revision_out(r) for r in lex.history(form, limit=limit)]


@router.post(
    "/revisions/{revision_id}/revert",
    status_code=201,
    response_model=Revision,
    tags=["entries"],
    responses={409: {"model": Problem, "description": "a later revision changed the same field"}},
)
def revert_revision(
    request: Request,
    revision_id: Id,
    who: Editor,
    lexicon: LexiconName = "core",
    reason: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    """Undo one revision, as a new revision.

    An update's fields go back to what they were before it, a create is deleted, a delete is
    restored; the new revision's reason is "revert revision N" and the reason given. Refused
    with 409 (nothing changed) when a later revision of the entry changed one of the same
    fields or deleted it: revert that one first, or edit the entry."""
    lex = service(request).lexicon(lexicon, who)
    return revision_out(lex.revert(revision_id, reason=reason))


@router.get("/search", response_model=list[Hit], tags=["entries"])
def search(
    request: Request,
    who: Reader,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    lexicon: LexiconName = "core",
    mode: Mode = "hybrid",
    kind: Kind | None = None,
    register: Register | None = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[dict[str, Any]]:
    """Search entries: exact, semantic or both.

    ``exact`` looks up forms, glosses and components (lemmas too) in SQL; ``semantic`` asks the
    vector index; ``hybrid`` fuses both by reciprocal rank. The filters narrow either."""
    lex = service(request).lexicon(lexicon, who)
    hits = lex.search(q, mode=mode, limit=limit, kind=kind, register=register, status=status)
    return [h.to_dict() for h in hits]


# --- HyperBridge ------------------------------------------------------------------------------


def _run(
    request: Request,
    who: Principal,
    lexicon: str,
    mode: str,
    text: str,
    connectors: list[str],
    **kw: Any,
) -> dict[str, Any]:
    check_connectors(who, connectors)
    lex = service(request).lexicon(lexicon, who)
    return translation(lex.translate(mode, text, connectors=connectors or ["lexicon"], **kw))


def _alone(mode: str, text: str, scene: Any, **extra: Any) -> dict[str, Any]:
    """A Translation served by the lexicon alone (no connector, no chain to report)."""
    return {
        "mode": mode,
        "connector": "lexicon",
        "text": text,
        "hyperstring": scene.hyperstring,
        "scene": scene.to_dict(),
        **extra,
    }


@router.post("/encode", response_model=Translation, tags=["bridge"], responses=BRIDGE_ERRORS)
def encode(
    request: Request, body: EncodeIn, who: Reader, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """Encode text into a hyperscene.

    Without connectors the lexicon alone matches the text (exact, lemma, compound, semantic,
    then the archetype fall-back) and reports the scene's diagnostics; with a chain, the first
    connector that answers carries it out. An image (``image_base64``) needs a connector that
    reads images. The query is logged for feedback (``scene.query_id``)."""
    if body.image_base64 is not None:
        image = image_options(body.image_base64, body.image_type)
        check_connectors(who, body.connectors, image=True)
        return _run(
            request,
            who,
            lexicon,
            "encode",
            body.text,
            body.connectors,
            register=body.register,
            lang=body.lang or "ru",
            **image,
        )
    if not body.connectors or body.connectors == ["lexicon"]:
        lex = service(request).lexicon(lexicon, who)
        scene = lex.encode(
            body.text, register=body.register, lang=body.lang, stability=body.stability
        )
        return _alone("encode", scene.hyperstring, scene)
    return _run(
        request,
        who,
        lexicon,
        "encode",
        body.text,
        body.connectors,
        register=body.register,
        lang=body.lang or "ru",
    )


@router.post("/decode", response_model=Translation, tags=["bridge"], responses=BRIDGE_ERRORS)
def decode(
    request: Request, body: DecodeIn, who: Reader, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """Decode a hyperstring into text in a style.

    Styles: narrative, essay, formula (lossless: encoding the formula gives the hyperstring
    back) and poem; in Russian or English. Unknown forms are named in ``unknown``."""
    if not body.connectors or body.connectors == ["lexicon"]:
        lex = service(request).lexicon(lexicon, who)
        done = lex.decode(
            body.hyperstring, style=body.style, lang=body.lang, register=body.register
        )
        return _alone("decode", done.text, done.scene, unknown=done.unknown, detail=done.to_dict())
    return _run(
        request,
        who,
        lexicon,
        "decode",
        body.hyperstring,
        body.connectors,
        style=body.style,
        lang=body.lang,
        register=body.register,
    )


@router.post("/compress", response_model=Translation, tags=["bridge"], responses=BRIDGE_ERRORS)
def compress(
    request: Request, body: CompressIn, who: Reader, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """Compress a chain of scenes into one.

    The scenes (hyperstrings or texts) are merged into one concept: deduplicated, anchors
    kept, known combinations fused into the compound that names them, ordered by weight and
    frequency, at most ``limit`` lexemes."""
    if not body.connectors or body.connectors == ["lexicon"]:
        lex = service(request).lexicon(lexicon, who)
        scene = lex.compress(body.scenes, lang=body.lang, limit=body.limit)
        return _alone("compress", scene.hyperstring, scene)
    return _run(
        request, who, lexicon, "compress", "\n".join(body.scenes), body.connectors, lang=body.lang
    )


@router.post("/ask", response_model=Translation, tags=["bridge"], responses=BRIDGE_ERRORS)
def ask(
    request: Request, body: AskIn, who: Reader, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """Answer a question with the hypercode of its answer.

    ``text`` is the question (as for /encode; ``question`` is its earlier name). Without a
    connector the lexicon answers with the question's nearest archetype; with one, the LLM
    answers in hyperlexemes, checked against the lexicon."""
    from ..bridge import dominant_language

    if not body.connectors or body.connectors == ["lexicon"]:
        lex = service(request).lexicon(lexicon, who)
        answer = lex.ask(body.asked, lang=body.lang)
        return _alone("ask", answer.text, answer.answer, note=answer.note, detail=answer.to_dict())
    return _run(
        request,
        who,
        lexicon,
        "ask",
        body.asked,
        body.connectors,
        lang=body.lang or dominant_language(body.asked),
    )


@router.post("/prompt", response_model=Translation, tags=["bridge"], responses=BRIDGE_ERRORS)
def run_prompt(
    request: Request, body: PromptIn, who: Reader, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """Carry out a HyperPrompt.

    A request to meaning in its text form (``encode[poetic]: …``) or its JSON form, with
    constraints (``keep``, ``require``, ``without``) and a connector chain; see
    docs/hyperprompt.md. A malformed prompt is 422 naming the line."""
    from ..prompt import parse

    p = parse(body.prompt, where="prompt")
    check_connectors(who, p.connectors)
    lex = service(request).lexicon(lexicon, who)
    return translation(lex.run_prompt(p))


# --- versions ---------------------------------------------------------------------------------


@router.get("/versions", response_model=list[VersionOut], tags=["versions"])
def list_versions(
    request: Request, who: Reader, lexicon: LexiconName = "core"
) -> list[dict[str, Any]]:
    """List the named versions, oldest first.

    A version is a named point in the history (the last revision it includes), with how many
    entries the lexicon held then."""
    return [v.to_dict() for v in service(request).lexicon(lexicon, who).versions()]


@router.post("/versions", status_code=201, response_model=VersionOut, tags=["versions"])
def create_version(
    request: Request, body: VersionIn, who: Editor, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """Name the current state of the lexicon as a version (editor).

    The name is letters, digits, ``.``, ``_``, ``+`` or ``-`` (not ``working``); a name taken is
    409. The version can later be diffed, exported or rolled back to."""
    return (
        service(request)
        .lexicon(lexicon, who)
        .create_version(body.name, message=body.message)
        .to_dict()
    )


@router.get("/versions/{name}", tags=["versions"])
def show_version(
    request: Request, name: str, who: Reader, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """The lexicon as of a version.

    Every entry as it was at that point: a version name, ``@<revision>`` or ``working``."""
    state = service(request).lexicon(lexicon, who).at(name)
    return {"version": name, "entries": [d.to_dict() for d in state.values()]}


@router.get("/diff", tags=["versions"])
def diff(
    request: Request, who: Reader, a: str, b: str = "working", lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """Diff two versions.

    Entries added, removed and changed between ``a`` and ``b`` (a version name, ``@<revision>``
    or ``working``), with each changed field's two values."""
    return service(request).lexicon(lexicon, who).diff(a, b).to_dict()


@router.post("/versions/{name}/rollback", tags=["versions"])
def rollback(
    request: Request,
    name: str,
    who: Admin,
    lexicon: LexiconName = "core",
    reason: str | None = None,
) -> dict[str, Any]:
    """Roll the lexicon back to a version (admin).

    Every entry is made as it was in that version, with new revisions (history is never
    rewritten). The state before is tagged first; ``undo_with`` names that tag, so the rollback
    can itself be rolled back."""
    tag, counts = service(request).lexicon(lexicon, who).rollback(name, reason=reason)
    return {"undo_with": tag, **counts}


# --- import / export --------------------------------------------------------------------------


@router.post("/import", status_code=202, response_model=JobOut, tags=["io"])
async def import_file(
    request: Request,
    response: Response,
    who: Admin,
    file: Annotated[UploadFile, File(description="a jsonl, yaml, csv or tbx file")],
    format: Annotated[str | None, Form()] = None,
    on_conflict: Annotated[Literal["fail", "skip", "update"], Form()] = "fail",
    repair: Annotated[bool, Form()] = True,
    reason: Annotated[str | None, Form(max_length=1000)] = None,
    lexicon: LexiconName = "core",
    strict: Annotated[
        bool, Form(description="refuse the file at the first warning instead of importing it")
    ] = False,
) -> dict[str, Any]:
    """Import a file as a background job (admin).

    jsonl, yaml, csv or tbx; all or nothing: a bad line fails the job and nothing from the file
    is kept. Answers 202 with the job (``Location``); follow it at ``/jobs/{id}`` or over the
    WebSocket."""
    from ..formats import choose

    svc = service(request)
    name = file.filename or "upload"
    fmt = choose(name, format)
    data = await file.read()
    path = svc.save_upload(data, suffix=f".{fmt.name}")
    job = svc.start_job(
        "import",
        lexicon,
        {
            "path": str(path),
            "format": fmt.name,
            "on_conflict": on_conflict,
            "repair": repair,
            "strict": strict,
            "filename": name,
            "reason": reason,
        },
        who,
    )
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job.to_dict()


EXPORT_TYPES = {
    "jsonl": "application/x-ndjson",
    "yaml": "application/yaml",
    "csv": "text/csv",
    "tbx": "application/x-tbx+xml",
}


@router.get(
    "/export",
    tags=["io"],
    response_class=Response,
    responses={
        200: {
            "description": "the lexicon (or a version of it) as a file in the format asked for",
            "content": {media: {} for media in EXPORT_TYPES.values()},
        }
    },
)
def export(
    request: Request,
    who: Reader,
    format: Literal["jsonl", "yaml", "csv", "tbx"] = "jsonl",
    version: str | None = None,
    lexicon: LexiconName = "core",
) -> StreamingResponse:
    """Export the lexicon, or a version of it, as a file.

    In jsonl or yaml (lossless), csv or tbx. ``X-Entry-Count`` says how many entries the file
    holds."""
    lex = service(request).lexicon(lexicon, who)
    buffer = io.BytesIO()
    count = lex.export_stream(buffer, format=format, version=version)
    media = EXPORT_TYPES[format]
    filename = f"{lexicon}{'-' + version if version else ''}.{format}"
    return StreamingResponse(
        iter([buffer.getvalue()]),
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Entry-Count": str(count),
        },
    )


# --- calibration ------------------------------------------------------------------------------


@router.post("/feedback", status_code=201, tags=["calibration"])
def feedback(
    request: Request, body: FeedbackIn, who: Editor, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """Give feedback on a logged query (editor).

    Accept or reject the scene or one lexeme, correct a span (``span`` must occur in the text),
    or rate the style 1–5 for a register. Feedback moves learned weights and can make a
    proposal; each author may give a limited amount an hour."""
    lex = service(request).lexicon(lexicon, who)
    details = body.model_dump(exclude={"query_id", "kind"}, exclude_none=True)
    return lex.feedback(body.query_id, body.kind, **details).to_dict()


@router.get("/queries", tags=["calibration"])
def queries(
    request: Request,
    who: Reader,
    lexicon: LexiconName = "core",
    mode: Literal["encode", "decode", "compress", "ask"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    """The query log, newest first.

    Every encode, decode, compress and ask with its input, result, connector, latency and the
    lexicon revision it ran against: what feedback refers to."""
    return [
        r.to_dict() for r in service(request).lexicon(lexicon, who).queries(mode=mode, limit=limit)
    ]


@router.get("/queries/{query_id}", tags=["calibration"])
def query(
    request: Request, query_id: Id, who: Reader, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """One logged query.

    Its input, parameters, full result, connector and the lexicon revision it ran against."""
    return service(request).lexicon(lexicon, who).query(query_id).to_dict()


@router.get("/proposals", tags=["calibration"])
def proposals(
    request: Request,
    who: Reader,
    lexicon: LexiconName = "core",
    status: Literal["open", "accepted", "rejected", "all"] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    """Proposed entries, grown from use.

    Spans that recur unexplained, fused words and corrections become proposals; the growth
    rules (``/rules``) say when. ``status``: open, accepted, rejected or all."""
    lex = service(request).lexicon(lexicon, who)
    return [
        v.to_dict() for v in lex.proposals(status=None if status == "all" else status, limit=limit)
    ]


@router.get("/proposals/{proposal_id}", tags=["calibration"])
def proposal(
    request: Request, proposal_id: Id, who: Reader, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """One proposal.

    The entry it proposes, its support (queries and users), the evidence against it and its
    examples."""
    return service(request).lexicon(lexicon, who).proposal(proposal_id).to_dict()


@router.post("/proposals/{proposal_id}/accept", tags=["calibration"])
def accept_proposal(
    request: Request,
    proposal_id: Id,
    who: Editor,
    lexicon: LexiconName = "core",
    reason: str | None = None,
) -> dict[str, Any]:
    """Accept a proposal as an entry (editor).

    The proposed entry is added to the lexicon; the answer names the entry's id. A proposal
    that is not open is 409."""
    entry_id = service(request).lexicon(lexicon, who).accept_proposal(proposal_id, reason=reason)
    return {"proposal": proposal_id, "entry_id": entry_id}


@router.post("/proposals/{proposal_id}/reject", tags=["calibration"])
def reject_proposal(
    request: Request,
    proposal_id: Id,
    who: Editor,
    lexicon: LexiconName = "core",
    reason: str | None = None,
) -> dict[str, Any]:
    """Reject a proposal (editor).

    It stays in the list as rejected, with who decided and why. A proposal that is not open
    is 409."""
    service(request).lexicon(lexicon, who).reject_proposal(proposal_id, reason=reason)
    return {"proposal": proposal_id, "status": "rejected"}


@router.patch("/proposals/{proposal_id}", tags=["calibration"])
def edit_proposal(
    request: Request,
    proposal_id: Id,
    body: ProposalPatch,
    who: Editor,
    lexicon: LexiconName = "core",
) -> dict[str, Any]:
    """Edit a proposal before accepting it (editor).

    Its form, kind, glosses, components or registers; a proposal that is not open is 409."""
    changes = body.model_dump(exclude_none=True)
    if body.components is not None:
        changes["components"] = _components(body.components)
    return service(request).lexicon(lexicon, who).edit_proposal(proposal_id, **changes).to_dict()


@router.post("/calibrate", status_code=202, response_model=JobOut, tags=["calibration"])
def calibrate(
    request: Request,
    response: Response,
    body: CalibrateIn,
    who: Admin,
    lexicon: LexiconName = "core",
) -> dict[str, Any]:
    """Calibrate thresholds as a background job (admin).

    Fits the semantic threshold per register, the translated-gloss thresholds, the
    related-word threshold, the keyword thresholds' shift and the anchor threshold to the
    feedback, with k-fold cross-validation; a fit not shown better on held-out folds (a sign
    test on the verdicts it decides differently) is not adopted. Answers 202 with the job. A
    calibration with too little feedback says so per register (``skipped``)."""
    job = service(request).start_job("calibrate", lexicon, body.model_dump(), who)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job.to_dict()


@router.get("/stats", tags=["stats"])
def stats(
    request: Request, who: Reader, lexicon: LexiconName = "core", all: bool = False
) -> dict[str, Any]:
    """Counts of the lexicon.

    Entries by kind, status and register, glosses by language, revisions, versions and the
    index outbox; ``all=true`` for every lexicon in the store."""
    return service(request).lexicon(lexicon, who).stats(all_lexicons=all)


@router.get("/stats/calibration", tags=["stats"])
def calibration_stats(
    request: Request, who: Reader, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """The calibration report.

    Feedback counts, acceptance per register, style ratings, the threshold history and the top
    proposals."""
    return service(request).lexicon(lexicon, who).calibration_report()


@router.get("/calibrations", tags=["calibration"])
def calibrations(
    request: Request,
    who: Reader,
    lexicon: LexiconName = "core",
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> list[dict[str, Any]]:
    """Every calibration run, newest first.

    Thresholds, held-out precision and recall before and after, and what was skipped for want
    of feedback."""
    return service(request).lexicon(lexicon, who).calibration_history(limit=limit)


class RulesPatch(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"min_users": 2, "proposal_support": 3}]}
    )

    auto_accept: bool | None = None
    min_users: JsonInt | None = Field(None, ge=1, le=10_000)
    min_ratio: float | None = Field(None, ge=0, le=1)
    proposal_support: JsonInt | None = Field(None, ge=1, le=10_000)
    feedback_rate_per_hour: JsonInt | None = Field(None, ge=1, le=1_000_000)


@router.get("/rules", tags=["calibration"])
def rules(request: Request, who: Reader, lexicon: LexiconName = "core") -> dict[str, Any]:
    """The growth rules.

    When a proposal is made, when it is accepted by itself, and how much feedback one author may
    give an hour (the poisoning guard)."""
    return service(request).lexicon(lexicon, who).growth_rules()


@router.patch("/rules", tags=["calibration"])
def change_rules(
    request: Request, body: RulesPatch, who: Admin, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """Change the growth rules (admin).

    Only the rules given change; the answer is all of them."""
    lex = service(request).lexicon(lexicon, who)
    return lex.growth_rules(**body.model_dump(exclude_none=True))


# --- the index and jobs -----------------------------------------------------------------------


@router.get("/index", tags=["index"])
def index_status(request: Request, who: Reader, lexicon: LexiconName = "core") -> dict[str, Any]:
    """The vector index's state.

    The embedder, how many documents the collection holds against the entries in SQL, and how
    many changes wait in the outbox."""
    return service(request).lexicon(lexicon, who).index_status()


@router.post("/index/rebuild", status_code=202, response_model=JobOut, tags=["index"])
def rebuild(
    request: Request, response: Response, who: Admin, lexicon: LexiconName = "core"
) -> dict[str, Any]:
    """Rebuild the vector index as a background job (admin).

    Every entry is embedded again from SQL (the source of truth); answers 202 with the job."""
    job = service(request).start_job("rebuild", lexicon, {}, who)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job.to_dict()


@router.post("/encode-batch", status_code=202, response_model=JobOut, tags=["bridge"])
def encode_batch(
    request: Request,
    response: Response,
    body: EncodeBatchIn,
    who: Editor,
    lexicon: LexiconName = "core",
) -> dict[str, Any]:
    """Encode many texts as one background job (editor).

    Each text is encoded and logged like ``POST /encode``; the job's result lists the scenes.
    Answers 202 with the job."""
    job = service(request).start_job("encode-batch", lexicon, body.model_dump(), who)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job.to_dict()


@router.get("/jobs", response_model=list[JobOut], tags=["jobs"])
def list_jobs(
    request: Request, who: Reader, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> list[dict[str, Any]]:
    """Background jobs, newest first.

    Imports, index rebuilds, calibrations and batch encodes, with state, progress, result or
    error."""
    return [j.to_dict() for j in service(request).jobs.list(limit=limit)]


@router.get("/jobs/{job_id}", response_model=JobOut, tags=["jobs"])
def get_job(request: Request, job_id: str, who: Reader) -> dict[str, Any]:
    """One background job.

    Its state (queued, running, done, failed, cancelled, interrupted), progress, and result or
    error."""
    return service(request).jobs.get(job_id).to_dict()


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, tags=["jobs"])
def cancel_job(request: Request, job_id: str, who: Editor) -> dict[str, Any]:
    """Ask a background job to stop (editor).

    It stops at its next progress report; an import that stops keeps nothing. A job already
    finished answers as it is."""
    return service(request).jobs.cancel(job_id).to_dict()
