"""``RemoteLexicon``: the ``Lexicon`` facade over HTTP, for a running ``hyperlexicon serve``.

With ``HYPERLEXICON_SERVER_URL`` set, ``hyperlexicon.open()`` (and so the CLI) hands out one
of these instead of a local ``Lexicon``. It implements ``facade.LexiconAPI`` and returns the
same objects (rebuilt from the server's JSON with each type's ``from_dict``), so every command
prints the same thing either way. The server's problem details come back as the library's own
errors (``errors.error_for``: by the problem's ``code``, else its status), with the exit codes
they carry.

What the server does not offer (the index's ``sync`` and ``doctor``, ``init``, migrations,
plugins and keys) is local by nature; asking a ``RemoteLexicon`` for it is a clear error.
Long work (import, calibrate, index rebuild) runs as a server job; these methods wait for it
and report its progress, like the local call would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from .config import Settings
from .entry import EntryData
from .errors import BadInputError, ConfigError, NotFoundError, ServerError, error_for
from .facade import FileTransfer
from .store import ImportReport, QueryRecord, RevisionRecord, SearchHit, StoredEntry
from .text import form_key

if TYPE_CHECKING:
    import httpx

    from .bridge import Answer, Decoded
    from .calibration import CalibrationResult, FeedbackResult, ProposalView
    from .connectors import TranslationResult
    from .history import Diff, VersionInfo
    from .jobs import JobView
    from .prompt import HyperPrompt
    from .scene import Scene

API = "/api/v1"
TIMEOUT = 300.0  # seconds: a connector chain or a big encode can take a while
JOB_POLL = 0.2
LOCAL_ONLY = {
    "sync": "index sync",
    "doctor": "index doctor",
    "index": "the vector index",
    "store": "the store",
    "bridge": "the bridge",
    "glossary": "the glossary",
    "load_seed": "seeds",
}


class RemoteLexicon(FileTransfer):
    """One lexicon on a server, through the same methods as ``Lexicon``."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        name: str | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.settings = settings or Settings.load()
        if not self.settings.server_url:
            raise ConfigError("no server: set HYPERLEXICON_SERVER_URL")
        self.url = self.settings.server_url.rstrip("/")
        self.name = name or self.settings.lexicon
        self._client = client
        self._owns_client = client is None
        self.index_note: str | None = None  # the server keeps its index in step itself

    # --- plumbing -----------------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            import httpx

            headers = {"User-Agent": "hyperlexicon-cli"}
            if self.settings.server_token:
                headers["Authorization"] = f"Bearer {self.settings.server_token}"
            if self.settings.author:
                headers["X-Hyperlexicon-Author"] = self.settings.author
            self._client = httpx.Client(base_url=self.url, headers=headers, timeout=TIMEOUT)
        return self._client

    @property
    def author(self) -> str:
        return self.settings.who

    def using(self, name: str) -> RemoteLexicon:
        other = RemoteLexicon(self.settings, name=name, client=self.client)
        other._owns_client = False
        return other

    def close(self) -> None:
        if self._client is not None and self._owns_client:
            self._client.close()
        self._client = None

    def __enter__(self) -> RemoteLexicon:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, attr: str) -> Any:
        if attr in LOCAL_ONLY:
            raise ConfigError(
                f"{LOCAL_ONLY[attr]} is not offered through the server at {self.url}; "
                "unset HYPERLEXICON_SERVER_URL to work on the local store"
            )
        raise AttributeError(attr)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        lexicon: bool = True,
        **kw: Any,
    ) -> httpx.Response:
        import httpx

        query = {k: v for k, v in (params or {}).items() if v is not None}
        if lexicon:
            query["lexicon"] = self.name
        try:
            response = self.client.request(method, API + path, params=query, **kw)
        except httpx.HTTPError as exc:
            raise ServerError(f"cannot reach the server at {self.url}: {exc}") from None
        if response.status_code >= 400:
            raise error_for(response.status_code, *_problem(response))
        return response

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        return self._call(method, path, **kw).json()

    # --- entries ------------------------------------------------------------------------

    def add(self, data: EntryData, *, reason: str | None = None) -> StoredEntry:
        body = self._json("POST", "/entries", params={"reason": reason}, json=data.to_dict())
        return StoredEntry.from_dict(body)

    def get(self, form: str) -> StoredEntry:
        return StoredEntry.from_dict(self._json("GET", f"/entries/{_path(form)}"))

    def find(self, form: str) -> StoredEntry | None:
        try:
            return self.get(form)
        except NotFoundError:
            return None

    def edit(
        self,
        form: str,
        change: Callable[[EntryData], EntryData] | None = None,
        /,
        *,
        expect_version: int | None = None,
        reason: str | None = None,
        **fields: Any,
    ) -> StoredEntry:
        """Read the entry, apply the change here, write it back under ``If-Match``: an entry
        changed in between is refused (ConflictError), never overwritten."""
        current = self.get(form)
        version = current.row_version if expect_version is None else expect_version
        new = change(current.data) if change else current.data
        if fields:
            new = new.evolve(**fields)
        body = self._json(
            "PUT",
            f"/entries/{_path(form)}",
            params={"reason": reason},
            json=new.to_dict(),
            headers={"If-Match": f'"{current.id}-{version}"'},
        )
        return StoredEntry.from_dict(body)

    def remove(
        self, form: str, *, expect_version: int | None = None, reason: str | None = None
    ) -> EntryData:
        current = self.get(form)
        version = current.row_version if expect_version is None else expect_version
        self._call(
            "DELETE",
            f"/entries/{_path(form)}",
            params={"reason": reason},
            headers={"If-Match": f'"{current.id}-{version}"'},
        )
        return current.data

    def entries(
        self,
        *,
        kind: str | None = None,
        register: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        sort: str = "form",
        order: str = "asc",
    ) -> list[StoredEntry]:
        out: list[StoredEntry] = []
        page = 1000
        while limit is None or len(out) < limit:
            want = page if limit is None else min(page, limit - len(out))
            batch = self._json(
                "GET",
                "/entries",
                params={
                    "kind": kind,
                    "register": register,
                    "status": status,
                    "limit": want,
                    "offset": offset + len(out),
                    "sort": sort,
                    "order": order,
                },
            )
            out.extend(StoredEntry.from_dict(d) for d in batch)
            if len(batch) < want:
                break
        return out

    def count(
        self, *, kind: str | None = None, register: str | None = None, status: str | None = None
    ) -> int:
        filters = {"kind": kind, "register": register, "status": status}
        response = self._call("GET", "/entries", params={**filters, "limit": 1})
        return int(response.headers["X-Total-Count"])

    def facets(
        self, *, kind: str | None = None, register: str | None = None, status: str | None = None
    ) -> dict[str, dict[str, int]]:
        body = self._json(
            "GET", "/facets", params={"kind": kind, "register": register, "status": status}
        )
        return {name: body[name] for name in ("kind", "register", "status")}

    def search(
        self, query: str, *, mode: str = "exact", limit: int = 20, **filters: Any
    ) -> list[SearchHit]:
        hits = self._json(
            "GET", "/search", params={"q": query, "mode": mode, "limit": limit, **filters}
        )
        return [SearchHit.from_dict(h) for h in hits]

    def history(self, form: str | None = None, *, limit: int | None = None) -> list[RevisionRecord]:
        rows = self._json("GET", "/history", params={"form": form, "limit": limit})
        return [RevisionRecord.from_dict(r) for r in rows]

    def revert(self, revision_id: int, *, reason: str | None = None) -> RevisionRecord:
        path = f"/revisions/{int(revision_id)}/revert"
        body = self._json("POST", path, params={"reason": reason})
        return RevisionRecord.from_dict(body)

    # --- the index ----------------------------------------------------------------------

    def index_status(self) -> dict[str, Any]:
        return self._json("GET", "/index")

    def rebuild_index(self, progress: Callable[[int], None] | None = None) -> int:
        job = self._wait(self._json("POST", "/index/rebuild"), progress)
        return int(job.result["documents"])  # type: ignore[index]

    # --- import / export ----------------------------------------------------------------

    def import_stream(
        self,
        stream: BinaryIO,
        source: str,
        *,
        format: str,
        on_conflict: str = "fail",
        repair: bool = True,
        reason: str | None = None,
        progress: Callable[[int], None] | None = None,
        strict: bool = False,
    ) -> ImportReport:
        """Upload the file; the server imports it as a job, all or nothing; wait for it."""
        from .formats import choose

        fmt = choose(source, format)
        job = self._json(
            "POST",
            "/import",
            files={"file": (Path(source).name or "upload", stream.read())},
            data={
                "format": fmt.name,
                "on_conflict": on_conflict,
                "repair": "true" if repair else "false",
                "strict": "true" if strict else "false",
                **({"reason": reason} if reason else {}),
            },
        )
        return ImportReport.from_dict(self._wait(job, progress).result or {})

    def export_stream(
        self,
        stream: BinaryIO,
        *,
        format: str,
        version: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        response = self._call("GET", "/export", params={"format": format, "version": version})
        stream.write(response.content)
        count = int(response.headers.get("X-Entry-Count", 0))
        if progress and count:
            progress(count)
        return count

    # --- versions and lexicons ------------------------------------------------------------

    def create_version(self, name: str, *, message: str = "") -> VersionInfo:
        from .history import VersionInfo

        body = self._json("POST", "/versions", json={"name": name, "message": message})
        return VersionInfo.from_dict(body)

    def versions(self) -> list[VersionInfo]:
        from .history import VersionInfo

        return [VersionInfo.from_dict(v) for v in self._json("GET", "/versions")]

    def at(self, version: str) -> dict[str, EntryData]:
        body = self._json("GET", f"/versions/{_path(version)}")
        out = {}
        for record in body["entries"]:
            data = EntryData.from_dict(record, where=f"version {version}", repair=False)
            out[form_key(data.form)] = data
        return out

    def diff(self, a: str, b: str = "working") -> Diff:
        from .history import Diff

        return Diff.from_dict(self._json("GET", "/diff", params={"a": a, "b": b}))

    def rollback(self, version: str, *, reason: str | None = None) -> tuple[str, dict[str, int]]:
        body = self._json("POST", f"/versions/{_path(version)}/rollback", params={"reason": reason})
        tag = body.pop("undo_with")
        return tag, body

    def stats(self, *, all_lexicons: bool = False) -> dict[str, Any]:
        return self._json("GET", "/stats", params={"all": "true" if all_lexicons else None})

    def lexicons(self) -> list[dict[str, Any]]:
        return self._json("GET", "/lexicons", lexicon=False)

    def create_lexicon(self, name: str, description: str = "") -> None:
        self._call(
            "POST", "/lexicons", lexicon=False, json={"name": name, "description": description}
        )

    def delete_lexicon(self, name: str) -> None:
        self._call("DELETE", f"/lexicons/{_path(name)}", lexicon=False)

    # --- HyperBridge ----------------------------------------------------------------------

    def encode(
        self,
        text: str,
        *,
        register: str | None = None,
        lang: str | None = None,
        stability: bool = True,
        log: bool = True,
    ) -> Scene:
        from .scene import Scene

        body = self._json(
            "POST",
            "/encode",
            json={"text": text, "register": register, "lang": lang, "stability": stability},
        )
        return Scene.from_dict(body["scene"])

    def decode(
        self,
        source: str | Scene,
        *,
        style: str = "narrative",
        lang: str = "ru",
        register: str | None = None,
        log: bool = True,
    ) -> Decoded:
        from .bridge import Decoded

        hyperstring = source if isinstance(source, str) else source.hyperstring
        body = self._json(
            "POST",
            "/decode",
            json={"hyperstring": hyperstring, "style": style, "lang": lang, "register": register},
        )
        return Decoded.from_dict(body["detail"])

    def compress(
        self, sources: list[str], *, lang: str = "ru", limit: int | None = None, log: bool = True
    ) -> Scene:
        from .scene import Scene

        body = self._json(
            "POST", "/compress", json={"scenes": sources, "lang": lang, "limit": limit}
        )
        return Scene.from_dict(body["scene"])

    def picture(self, scene: Scene, *, title: str | None = None, width: int = 880) -> str:
        """The scene's SVG drawing, with the links the server's lexicon knows."""
        body = {"scene": scene.to_dict(), "title": title, "width": width}
        return self._call("POST", "/picture", json=body).text

    def ask(self, question: str, *, lang: str | None = None, log: bool = True) -> Answer:
        from .bridge import Answer

        body = self._json("POST", "/ask", json={"text": question, "lang": lang})
        return Answer.from_dict(body["detail"])

    def translate(
        self,
        mode: str,
        text: str,
        *,
        connectors: list[str],
        register: str | None = None,
        style: str = "narrative",
        lang: str = "ru",
        image: bytes | None = None,
        image_type: str | None = None,
        constraints: dict[str, list[str]] | None = None,
        log: bool = True,
    ) -> TranslationResult:
        """A request through a chain of connectors, run on the server (its keys, its models)."""
        from .connectors import TranslationResult

        if constraints and any(constraints.values()):
            from .prompt import HyperPrompt

            prompt = HyperPrompt(
                mode=mode,
                text=text,
                register=register,
                style=style if mode == "decode" else None,
                lang=lang,
                connectors=list(connectors),
                **{k: list(v) for k, v in constraints.items()},
            )
            return self.run_prompt(prompt)
        body: dict[str, Any] = {"connectors": connectors, "lang": lang}
        if mode == "encode":
            body.update(text=text, register=register)
            if image is not None:
                import base64

                body.update(
                    image_base64=base64.b64encode(image).decode("ascii"), image_type=image_type
                )
        elif mode == "decode":
            body.update(hyperstring=text, style=style, register=register)
        elif mode == "compress":
            body.update(scenes=text.splitlines())
        elif mode == "ask":
            body.update(text=text)
        else:
            raise BadInputError(f"mode {mode!r}: one of encode, decode, compress, ask")
        return TranslationResult.from_dict(self._json("POST", f"/{mode}", json=body))

    def run_prompt(self, prompt: HyperPrompt) -> TranslationResult:
        from .connectors import TranslationResult

        body = self._json("POST", "/prompt", json={"prompt": prompt.to_json()})
        return TranslationResult.from_dict(body)

    # --- the query log and calibration --------------------------------------------------

    def queries(self, *, mode: str | None = None, limit: int = 50) -> list[QueryRecord]:
        rows = self._json("GET", "/queries", params={"mode": mode, "limit": limit})
        return [QueryRecord.from_dict(r) for r in rows]

    def query(self, query_id: int) -> QueryRecord:
        return QueryRecord.from_dict(self._json("GET", f"/queries/{query_id}"))

    def feedback(self, query_id: int, kind: str, **details: Any) -> FeedbackResult:
        from .calibration import FeedbackResult

        body = {"query_id": query_id, "kind": kind}
        body.update({k: v for k, v in details.items() if v is not None})
        return FeedbackResult.from_dict(self._json("POST", "/feedback", json=body))

    def calibrate(
        self,
        *,
        target_precision: float | None = None,
        folds: int = 5,
        dry_run: bool = False,
        weight_floor: float | None = None,
        weights: bool = False,
    ) -> CalibrationResult:
        from .calibration import CalibrationResult

        job = self._json(
            "POST",
            "/calibrate",
            json={
                "target_precision": target_precision,
                "folds": folds,
                "dry_run": dry_run,
                "weight_floor": weight_floor,
                "weights": weights,
            },
        )
        return CalibrationResult.from_dict(self._wait(job, None).result or {})

    def calibration_history(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        return self._json("GET", "/calibrations", params={"limit": limit})

    def calibration_report(self) -> dict[str, Any]:
        return self._json("GET", "/stats/calibration")

    def proposals(self, *, status: str | None = "open", limit: int = 100) -> list[ProposalView]:
        from .calibration import ProposalView

        rows = self._json("GET", "/proposals", params={"status": status or "all", "limit": limit})
        return [ProposalView.from_dict(r) for r in rows]

    def proposal(self, proposal_id: int) -> ProposalView:
        from .calibration import ProposalView

        return ProposalView.from_dict(self._json("GET", f"/proposals/{proposal_id}"))

    def accept_proposal(self, proposal_id: int, *, reason: str | None = None) -> int:
        body = self._json("POST", f"/proposals/{proposal_id}/accept", params={"reason": reason})
        return int(body["entry_id"])

    def reject_proposal(self, proposal_id: int, *, reason: str | None = None) -> None:
        self._call("POST", f"/proposals/{proposal_id}/reject", params={"reason": reason})

    def edit_proposal(self, proposal_id: int, **changes: Any) -> ProposalView:
        from .calibration import ProposalView

        body = {k: v for k, v in changes.items() if v is not None}
        if "components" in body:
            body["components"] = [c.to_dict() for c in body["components"]]
        return ProposalView.from_dict(self._json("PATCH", f"/proposals/{proposal_id}", json=body))

    def growth_rules(self, **changes: Any) -> dict[str, Any]:
        body = {k: v for k, v in changes.items() if v is not None}
        if body:
            return self._json("PATCH", "/rules", json=body)
        return self._json("GET", "/rules")

    # --- jobs -----------------------------------------------------------------------------

    def jobs(self) -> RemoteJobs:
        return RemoteJobs(self)

    def _wait(self, job: dict[str, Any], progress: Callable[[int], None] | None) -> JobView:
        """Follow a job to its end; its failure is this call's failure."""
        from .jobs import FINAL, JobView

        done = 0
        view = JobView.from_dict(job)
        while view.state not in FINAL:
            time.sleep(JOB_POLL)
            view = JobView.from_dict(self._json("GET", f"/jobs/{view.id}", lexicon=False))
            if progress and view.done > done:
                progress(view.done - done)
                done = view.done
        if view.state != "done":
            failed = (view.result or {}) if view.state == "failed" else {}
            status = int(failed.get("status", 422 if view.state == "failed" else 409))
            raise error_for(status, view.error or view.state, failed.get("code"))
        return view


class RemoteJobs:
    """The server's background jobs, with the methods of ``JobManager`` the CLI uses."""

    def __init__(self, lexicon: RemoteLexicon) -> None:
        self.lexicon = lexicon

    def list(self, *, limit: int = 50) -> list[JobView]:
        from .jobs import JobView

        rows = self.lexicon._json("GET", "/jobs", lexicon=False, params={"limit": limit})
        return [JobView.from_dict(j) for j in rows]

    def get(self, job_id: str) -> JobView:
        from .jobs import JobView

        return JobView.from_dict(self.lexicon._json("GET", f"/jobs/{job_id}", lexicon=False))

    def cancel(self, job_id: str) -> JobView:
        from .jobs import JobView

        body = self.lexicon._json("POST", f"/jobs/{job_id}/cancel", lexicon=False)
        return JobView.from_dict(body)


def _path(segment: str) -> str:
    from urllib.parse import quote

    return quote(segment, safe="")


def _problem(response: httpx.Response) -> tuple[str, str | None]:
    """One line from a problem response (or whatever the server said), and its error code."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return f"the server answered {response.status_code}", None
    if not isinstance(body, dict):
        return f"the server answered {response.status_code}", None
    code = body.get("code") if isinstance(body.get("code"), str) else None
    if body.get("detail"):
        return str(body["detail"]).splitlines()[0], code
    if body.get("title"):
        return str(body["title"]), code
    return f"the server answered {response.status_code}", code
