"""``Lexicon``: the one object the CLI, the server and Python users work through.

It binds settings (which database, which lexicon, who is writing) to the store, and is where
the parts meet: formats for import/export, history for versions, and (as they arrive) the
vector index and the bridge.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from . import history as versioning
from .config import Settings
from .entry import EntryData
from .errors import BadInputError, NotFoundError
from .store import ImportReport, RevisionRecord, SearchHit, Store, StoredEntry
from .text import Repair

if TYPE_CHECKING:
    from .bridge import Answer, Bridge, Decoded
    from .index import DoctorReport, DrainReport, Index
    from .scene import Scene

SEARCH_MODES = ("hybrid", "exact", "semantic")
RRF_K = 60  # reciprocal-rank fusion constant (Cormack et al. 2009)

SEED_PREFIX = "seed-"


def seeds_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "seeds", here.parent.parent / "seeds"):
        if candidate.is_dir():
            return candidate
    raise NotFoundError("the seeds folder is missing from this installation")


def available_seeds() -> list[str]:
    return sorted(p.stem for p in seeds_dir().glob("*.yaml"))


class FileTransfer:
    """Import and export by path, over ``import_stream`` and ``export_stream``: the one place
    for it, whether the lexicon is local or on a server (``RemoteLexicon``)."""

    def import_file(
        self, path: str | Path, *, format: str | None = None, **options: Any
    ) -> ImportReport:
        from .formats import choose

        path = Path(path)
        fmt = choose(path, format)
        try:
            with path.open("rb") as stream:
                return self.import_stream(stream, str(path), format=fmt.name, **options)
        except FileNotFoundError:
            raise BadInputError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise BadInputError(f"{path}: is a directory") from None

    def export_file(
        self, path: str | Path, *, format: str | None = None, version: str | None = None, **kw: Any
    ) -> int:
        from .formats import choose

        path = Path(path)
        fmt = choose(path, format, for_writing=True)
        buffer = io.BytesIO()
        count = self.export_stream(buffer, format=fmt.name, version=version, **kw)
        path.write_bytes(buffer.getvalue())  # only a complete export replaces the file
        return count


class Lexicon(FileTransfer):
    """One named lexicon in a store, with the settings it was opened with."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        name: str | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings or Settings.load()
        self.name = name or self.settings.lexicon
        self._store = store
        self._index: Index | None = None
        self.index_note: str | None = None  # why the last write could not update the index

    @classmethod
    def open(cls, name: str | None = None, **overrides: Any) -> Lexicon:
        """Open with settings resolved from ``overrides`` (flags), environment and config file.

        With a server configured (``HYPERLEXICON_SERVER_URL``), this is a ``RemoteLexicon``:
        the same methods, carried out by that server."""
        settings = Settings.load(**overrides)
        if settings.server_url:
            from .remote import RemoteLexicon

            return RemoteLexicon(settings, name=name)  # type: ignore[return-value]
        return cls(settings, name=name)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings.database_url)
        return self._store

    @property
    def author(self) -> str:
        return self.settings.who

    @property
    def index(self) -> Index:
        """The vector index (Chroma): opened on first use, never by plain lexicon commands."""
        if self._index is None:
            from .index import Index

            self._index = Index(self.settings, store=self.store)
        return self._index

    def using(self, name: str) -> Lexicon:
        """The same store (and index), another lexicon."""
        other = Lexicon(self.settings, name=name, store=self.store)
        other._index = self._index
        return other

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Lexicon:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- set-up -------------------------------------------------------------------------

    @classmethod
    def init(
        cls, settings: Settings | None = None, *, seed: str | None = None, name: str | None = None
    ) -> tuple[Lexicon, ImportReport | None]:
        """Migrate the database to the current schema, create the lexicon, load a seed."""
        from . import migrate

        settings = settings or Settings.load()
        settings.home.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(settings.database_url)
        lex = cls(settings, name=name)
        report = None
        with lex.store.write() as s:
            lex.store.lexicon_id(s, lex.name, create=True)
        if seed:
            report = lex.load_seed(seed)
        return lex, report

    def load_seed(self, seed: str) -> ImportReport | None:
        """Load ``seeds/<seed>.yaml`` and tag ``seed-<seed>-1``; nothing to do if tagged already."""
        path = seeds_dir() / f"{seed}.yaml"
        if not path.is_file():
            raise BadInputError(
                f"no seed named {seed!r} (available: {', '.join(available_seeds())})"
            )
        tag = f"{SEED_PREFIX}{seed}-1"
        if any(v.name == tag for v in self.versions()):
            return None
        report = self.import_file(path, on_conflict="skip", reason=f"seed {seed}")
        self.create_version(tag, message=f"seed lexicon {seed!r} as shipped")
        return report

    # --- entries ------------------------------------------------------------------------

    def add(self, data: EntryData, *, reason: str | None = None) -> StoredEntry:
        stored = self.store.add(self.name, data, author=self.author, reason=reason)
        self._after_write()
        return stored

    def find(self, form: str) -> StoredEntry | None:
        return self.store.get(self.name, form)

    def get(self, form: str) -> StoredEntry:
        return self.store.require(self.name, form)

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
        """Change an entry. ``change`` maps the current data to the new; ``fields`` replace.

        The change is applied to the entry as it is inside the write transaction, so two
        writers never lose each other's edit; ``expect_version`` additionally refuses the edit
        if anyone changed the entry since the caller read it.
        """

        def apply(current: EntryData) -> EntryData:
            new = change(current) if change else current
            return new.evolve(**fields) if fields else new

        stored = self.store.update(
            self.name,
            form,
            apply,
            author=self.author,
            reason=reason,
            expect_version=expect_version,
        )
        self._after_write()
        return stored

    def remove(
        self, form: str, *, expect_version: int | None = None, reason: str | None = None
    ) -> EntryData:
        data = self.store.remove(
            self.name, form, author=self.author, reason=reason, expect_version=expect_version
        )
        self._after_write()
        return data

    def entries(self, **filters: Any) -> list[StoredEntry]:
        return self.store.list(self.name, **filters)

    def count(self) -> int:
        return self.store.count(self.name)

    def search(
        self, query: str, *, mode: str = "exact", limit: int = 20, **filters: Any
    ) -> list[SearchHit]:
        """Search entries. ``exact``: SQL only (forms, glosses, components: exact, lemma,
        prefix, substring). ``semantic``: nearest documents in the vector index. ``hybrid``:
        both, fused by reciprocal rank, so a lemma hit and a paraphrase both surface."""
        if mode not in SEARCH_MODES:
            raise BadInputError(f"search mode {mode!r}: one of {', '.join(SEARCH_MODES)}")
        if mode == "exact":
            return self.store.search(self.name, query, limit=limit, **filters)
        if not query.strip():
            raise BadInputError("search: empty query")
        semantic = self._semantic(query, limit=limit, **filters)
        if mode == "semantic":
            return semantic
        exact = self.store.search(self.name, query, limit=limit, **filters)
        return fuse([exact, semantic], limit=limit)

    def _semantic(self, query: str, *, limit: int, **filters: Any) -> list[SearchHit]:
        index = self.synced_index()
        hits = index.query(self.name, query, k=limit, **filters)
        entries = self.store.get_many(self.name, [h.entry_id for h in hits])
        from .index import documents

        out = []
        for h in hits:
            stored = entries.get(h.entry_id)
            if stored is None:  # deleted since the index last heard; the outbox will catch up
                continue
            text = dict(documents(stored.data)).get(h.doc, "")
            out.append(SearchHit(stored, "semantic", f"doc:{h.doc}", text, h.score))
        return out

    # --- the index ----------------------------------------------------------------------

    def synced_index(self) -> Index:
        """The index with this lexicon's pending changes applied (start-up drain)."""
        self.index.drain(self.store, self.name)
        return self.index

    def sync(self, progress: Callable[[int], None] | None = None) -> DrainReport:
        return self.index.drain(self.store, self.name, progress=progress)

    def _after_write(self) -> None:
        """Apply the write to the index now, if we may; otherwise it waits in the outbox."""
        self.index_note = None
        if not self.settings.auto_index:
            return
        from .index import IndexBusyError

        try:
            self.sync()
        except IndexBusyError as exc:
            self.index_note = f"saved; the index will catch up later ({exc})"
        if self._index is not None and self._index.repairs:
            self.index_note = "; ".join(self._index.repairs)

    def rebuild_index(self, progress: Callable[[int], None] | None = None) -> int:
        count = self.index.rebuild(self.store, self.name, progress=progress)
        self.index.drain(self.store, self.name)
        return count

    def index_status(self) -> dict[str, Any]:
        return self.index.status(self.store, self.name)

    def doctor(self, *, fix: bool = False) -> DoctorReport:
        return self.index.doctor(self.store, self.name, fix=fix)

    def history(self, form: str | None = None, *, limit: int | None = None) -> list[RevisionRecord]:
        return self.store.history(self.name, form, limit=limit)

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
        """Import a file's entries in one transaction: on any error nothing is stored.

        ``strict`` turns the reader's first warning (a value it kept but could not map) into
        that error."""
        from .formats import choose, refusal

        fmt = choose(source, format)
        assert fmt.read is not None
        header, records = fmt.read(stream, source)
        repairs: list[Repair] = []

        def heed() -> None:  # the reader warns as it reads: stop at the first one if strict
            if strict and header.warnings:
                raise BadInputError(refusal(header.warnings[0]))

        def validated() -> Iterator[tuple[str, EntryData]]:
            heed()
            for where, record in records:
                heed()
                if fmt.name not in ("jsonl", "yaml") and "provenance" not in record:
                    record = {**record, "provenance": "import"}
                yield where, EntryData.from_dict(record, where, repair=repair, repairs=repairs)
            heed()

        report = self.store.import_entries(
            self.name,
            validated(),
            author=self.author,
            reason=reason or f"import {Path(source).name}",
            on_conflict=on_conflict,
            description=header.description,
            progress=progress,
        )
        report.repairs = [r.describe() for r in repairs]
        report.warnings = [str(w) for w in header.warnings]
        self._after_write()
        return report

    def export_stream(
        self,
        stream: BinaryIO,
        *,
        format: str,
        version: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        from .formats import Header, choose

        fmt = choose(f"x.{format}", format, for_writing=True)
        assert fmt.write is not None
        if version and version != versioning.WORKING:
            items = list(versioning.state(self.store, self.name, version).values())
        else:
            items = [e.data for e in self.store.iter_entries(self.name)]
        description = next(
            (lx["description"] for lx in self.store.lexicons() if lx["name"] == self.name), None
        )
        count = 0

        def counted() -> Iterator[EntryData]:
            nonlocal count
            for data in items:
                count += 1
                if progress:
                    progress(1)
                yield data

        fmt.write(stream, Header(self.name, description or None, version), counted())
        return count

    # --- versions -----------------------------------------------------------------------

    def create_version(self, name: str, *, message: str = "") -> versioning.VersionInfo:
        return versioning.create(self.store, self.name, name, message=message, author=self.author)

    def versions(self) -> list[versioning.VersionInfo]:
        return versioning.list_versions(self.store, self.name)

    def at(self, version: str) -> dict[str, EntryData]:
        """The lexicon as of a version (name, ``@<revision>`` or ``working``)."""
        return versioning.state(self.store, self.name, version)

    def diff(self, a: str, b: str = versioning.WORKING) -> versioning.Diff:
        return versioning.diff(self.store, self.name, a, b)

    def rollback(self, version: str, *, reason: str | None = None) -> tuple[str, dict[str, int]]:
        return versioning.rollback(
            self.store, self.name, version, author=self.author, reason=reason
        )

    def stats(self, *, all_lexicons: bool = False) -> dict[str, Any]:
        """Counts by kind, status, register and language, for this lexicon or all of them."""
        return self.store.stats(None if all_lexicons else self.name)

    # --- lexicons in the store ----------------------------------------------------------

    def lexicons(self) -> list[dict[str, Any]]:
        return self.store.lexicons()

    def create_lexicon(self, name: str, description: str = "") -> None:
        self.store.create_lexicon(name, description)

    def delete_lexicon(self, name: str) -> None:
        self.store.delete_lexicon(name)

    # --- HyperBridge --------------------------------------------------------------------

    @property
    def bridge(self) -> Bridge:
        """HyperBridge with the thresholds of the latest calibration (or the defaults)."""
        from .bridge import Bridge
        from .calibration import current_thresholds

        return Bridge(self, current_thresholds(self))

    def encode(
        self,
        text: str,
        *,
        register: str | None = None,
        lang: str | None = None,
        stability: bool = True,
        log: bool = True,
    ) -> Scene:
        """Text → hyperscene (logged)."""
        start = time.perf_counter()
        scene = self.bridge.encode(text, register=register, lang=lang, stability=stability)
        scene.query_id = self._log(
            "encode",
            text,
            {"register": register, "lang": lang},
            scene.to_dict(),
            scene.hyperstring,
            scene.revision,
            start,
            log,
        )
        if scene.query_id is not None and scene.unmatched:
            from .calibration import observe

            observe(self, scene.query_id, scene, scene.text or text)  # growth from use
        return scene

    def decode(
        self,
        source: str | Scene,
        *,
        style: str = "narrative",
        lang: str = "ru",
        register: str | None = None,
        log: bool = True,
    ) -> Decoded:
        """Hyperstring (or scene) → text in a style and language (logged)."""
        start = time.perf_counter()
        decoded = self.bridge.decode(source, style=style, lang=lang, register=register)
        text_in = source if isinstance(source, str) else source.hyperstring
        decoded.scene.query_id = self._log(
            "decode",
            text_in,
            {"style": style, "lang": lang, "register": register},
            decoded.to_dict(),
            decoded.text,
            decoded.scene.revision,
            start,
            log,
        )
        return decoded

    def compress(
        self, sources: list[str], *, lang: str = "ru", limit: int | None = None, log: bool = True
    ) -> Scene:
        """A chain of scenes → one compressed concept (logged)."""
        start = time.perf_counter()
        scene = self.bridge.compress(sources, lang=lang, limit=limit)
        scene.query_id = self._log(
            "compress",
            "\n".join(sources),
            {"lang": lang, "limit": limit},
            scene.to_dict(),
            scene.hyperstring,
            scene.revision,
            start,
            log,
        )
        return scene

    def ask(self, question: str, *, lang: str | None = None, log: bool = True) -> Answer:
        """Question → hypercode of the answer (logged)."""
        start = time.perf_counter()
        answer = self.bridge.ask(question, lang=lang)
        answer.answer.query_id = self._log(
            "ask",
            question,
            {"lang": lang},
            answer.to_dict(),
            answer.answer.hyperstring,
            answer.answer.revision,
            start,
            log,
            connector=answer.connector,
        )
        return answer

    def links(self, scene: Scene) -> list[tuple[str, str, str]]:
        """How the scene's lexemes hold together in the lexicon: A's component names B
        (``ref``), or A and B share a component meaning. ``(form_a, form_b, label)``."""
        from .morphology import lemma_key
        from .text import form_key

        ids = list(dict.fromkeys(lx.entry_id for lx in scene.lexemes if lx.entry_id))
        stored = self.store.get_many(self.name, ids)
        forms = {form_key(s.data.form): s.data.form for s in stored.values()}
        out: list[tuple[str, str, str]] = []
        seen: set[tuple[str, str]] = set()

        def link(a: str, b: str, label: str) -> None:
            pair = (min(a, b), max(a, b))
            if a != b and pair not in seen:
                seen.add(pair)
                out.append((a, b, label))

        meanings: dict[str, list[str]] = {}
        for s in stored.values():
            for c in s.data.components:
                if c.ref and form_key(c.ref) in forms:
                    link(s.data.form, forms[form_key(c.ref)], c.meaning)
                key = lemma_key(c.meaning, c.lang)
                meanings.setdefault(key, []).append(s.data.form)
        for meaning, holders in sorted(meanings.items()):
            holders = list(dict.fromkeys(holders))
            for i, a in enumerate(holders):
                for b in holders[i + 1 :]:
                    link(a, b, f"share «{meaning}»")
        return out

    def picture(self, scene: Scene, *, title: str | None = None, width: int = 880) -> str:
        """The scene as an SVG drawing (``picture.render_svg``) with its lexicon links."""
        from .picture import render_svg

        return render_svg(scene, links=self.links(scene), title=title, width=width)

    def _log(
        self,
        mode: str,
        text: str,
        params: dict[str, Any],
        result: dict[str, Any],
        output: str,
        revision: int,
        start: float,
        log: bool,
        connector: str | None = None,
    ) -> int | None:
        if not log:
            return None
        return self.store.log_query(
            self.name,
            mode=mode,
            input=text,
            params=params,
            result=result,
            output=output,
            revision=revision,
            latency_ms=(time.perf_counter() - start) * 1000,
            author=self.author,
            connector=connector,
        )

    # --- connectors -----------------------------------------------------------------------

    def glossary(self, mode: str, text: str, lang: str = "ru") -> list[Any]:
        """Only the relevant, active entries for a request, as a connector's glossary: what
        the lexicon alone finds in the text, its nearest meanings in the index (and, for a
        question, the nearest Δ-codes), and what those entries' components link to."""
        from .connectors import GLOSSARY_LIMIT, GlossaryEntry
        from .text import form_key

        bridge = self.bridge
        ids: list[int] = []
        if not text.strip():  # an image alone: the lexicon's strongest entries
            ids += [
                e.id
                for e in sorted(
                    self.store.iter_entries(self.name, status="active"),
                    key=lambda e: (-e.data.weight, e.id),
                )[:GLOSSARY_LIMIT]
            ]
        elif mode in ("encode", "ask"):
            scene = bridge.encode(text, stability=False)
            ids += [lx.entry_id for lx in scene.lexemes if lx.entry_id]
            index = self.synced_index()
            ids += [h.entry_id for h in index.query(self.name, text, k=15, status="active")]
            if mode == "ask":
                ids += [
                    h.entry_id
                    for h in index.query(self.name, text, k=5, kind="delta", status="active")
                ]
        else:
            for part in text.splitlines() if mode == "compress" else [text]:
                if part.strip():
                    parsed, _, _ = bridge.parse(part, lang)
                    ids += [lx.entry_id for lx in parsed.lexemes if lx.entry_id]
        ids = list(dict.fromkeys(ids))
        entries = self.store.get_many(self.name, ids)
        refs = [form_key(c.ref) for e in entries.values() for c in e.data.components if c.ref]
        linked = self.store.by_keys(self.name, refs)
        floor = bridge.thresholds.weight_floor
        out: list[Any] = []
        seen: set[int] = set()
        for stored in [*(entries[i] for i in ids if i in entries), *linked.values()]:
            d = stored.data
            if stored.id in seen or d.status != "active" or d.weight < floor:
                continue
            seen.add(stored.id)
            out.append(
                GlossaryEntry(
                    form=d.form,
                    kind=d.kind,
                    meanings={
                        lg: list(d.glosses.get(lg, ()))[:3]
                        for lg in ("ru", "en")
                        if d.glosses.get(lg)
                    },
                    components=[c.meaning for c in d.components],
                    registers=list(d.registers),
                )
            )
            if len(out) >= GLOSSARY_LIMIT:
                break
        return out

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
    ) -> Any:
        """A request through a chain of connectors (the first good answer wins), logged with
        the connector that served and why the others did not."""
        from . import connectors as conn

        start = time.perf_counter()
        request = self._request(
            mode, text, connectors, register, style, lang, image, image_type, constraints
        )
        result = conn.translate(self, connectors, request)
        return self._finish(result, request, connectors, start, log)

    def translate_stream(
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
    ) -> Iterator[Any]:
        """Like ``translate``, yielding the connector's output pieces as they arrive and then
        the (logged) result."""
        from . import connectors as conn

        start = time.perf_counter()
        request = self._request(
            mode, text, connectors, register, style, lang, image, image_type, constraints
        )
        from .text import form_key

        excluded = {form_key(f) for f in request.exclude}
        for event in conn.translate_stream(self, connectors, request):
            if isinstance(event, conn.TranslationResult):
                yield self._finish(event, request, connectors, start, log)
            elif not (excluded and form_key(getattr(event, "form", "")) in excluded):
                yield event  # (a lexeme the request excludes never shows, even in passing)

    def run_prompt(self, prompt: Any) -> Any:
        """Carry out a HyperPrompt (see ``prompt.py``)."""
        return self.translate(
            prompt.mode,
            prompt.text,
            connectors=prompt.connectors or ["lexicon"],
            register=prompt.register,
            style=prompt.style or "narrative",
            lang=prompt.lang or "ru",
            constraints={"keep": prompt.keep, "require": prompt.require, "exclude": prompt.exclude},
        )

    def _request(
        self,
        mode: str,
        text: str,
        connectors: list[str],
        register: str | None,
        style: str,
        lang: str,
        image: bytes | None,
        image_type: str | None,
        constraints: dict[str, list[str]] | None,
    ) -> Any:
        from . import connectors as conn

        c = constraints or {}
        if image is not None:
            conn.require_image_reader(connectors)
        needs_glossary = any(name != "lexicon" for name in connectors)
        return conn.TranslationRequest(
            mode=mode,
            text=text,
            glossary=self.glossary(mode, text, lang) if needs_glossary else [],
            register=register,
            style=style,
            lang=lang,
            image=image,
            image_type=image_type,
            keep=list(c.get("keep") or []),
            require=list(c.get("require") or []),
            exclude=list(c.get("exclude") or []),
        )

    def _finish(
        self, result: Any, request: Any, connectors: list[str], start: float, log: bool
    ) -> Any:
        """Apply a prompt's constraints to the scene, log the query, return the result."""
        mode, text = request.mode, request.text
        image = request.image
        if result.scene is not None and (request.keep or request.require or request.exclude):
            self._constrain(result.scene, request.keep, request.require, request.exclude)
            if mode in ("encode", "compress"):
                result.text = result.scene.hyperstring
        revision = self.store.last_revision(self.name)
        query_id = self._log(
            mode,
            text
            if image is None
            else f"[image {request.image_type}, {len(image)} bytes] {text}".strip(),
            {
                "register": request.register,
                "style": request.style,
                "lang": request.lang,
                "connectors": connectors,
                "keep": request.keep,
                "require": request.require,
                "exclude": request.exclude,
            },
            result.to_dict(),
            result.text
            if mode in ("decode", "ask")
            else (result.scene.hyperstring if result.scene else ""),
            revision,
            start,
            log,
            connector=result.connector,
        )
        if result.scene is not None:
            result.scene.query_id = query_id
        return result

    def _constrain(
        self, scene: Any, keep: list[str], require: list[str], exclude: list[str]
    ) -> None:
        """A prompt's "keep", "must" and "must not": enforced on the scene, whatever the
        connector did, and said in its notes."""
        from .bridge import _meaning
        from .scene import Lexeme
        from .text import form_key

        banned = {form_key(f) for f in exclude}
        dropped = [lx.form for lx in scene.lexemes if form_key(lx.form) in banned]
        scene.lexemes = [lx for lx in scene.lexemes if form_key(lx.form) not in banned]
        if dropped:
            scene.notes.append("left out as the prompt asked: " + " ".join(dropped))
        wanted = list(dict.fromkeys([*keep, *require]))
        found = self.store.by_keys(self.name, [form_key(f) for f in wanted])
        present = {form_key(lx.form) for lx in scene.lexemes}
        for form in wanted:
            key = form_key(form)
            stored = found.get(key)
            if stored is None:
                scene.notes.append(f"the prompt asks for {form}, which is not an active entry")
                continue
            if key not in present:
                d = stored.data
                scene.lexemes.append(
                    Lexeme(
                        entry_id=stored.id,
                        form=d.form,
                        how="exact",
                        score=1.0,
                        meaning=_meaning(d, scene.lang),
                        kind=d.kind,
                        registers=tuple(d.registers),
                        weight=d.weight,
                        source="prompt",
                    )
                )
                present.add(key)
                scene.notes.append(f"added as the prompt asked: {d.form}")
        keep_keys = {form_key(f) for f in keep}
        for lx in scene.lexemes:
            if form_key(lx.form) in keep_keys:
                lx.anchor = True

    # --- calibration ----------------------------------------------------------------------

    def feedback(self, query_id: int, kind: str, **details: Any) -> Any:
        """Accept, reject, correct or rate a logged query (see calibration.give_feedback)."""
        from .calibration import give_feedback

        return give_feedback(self, query_id, kind, **details)

    def calibrate(
        self,
        *,
        target_precision: float | None = None,
        folds: int = 5,
        dry_run: bool = False,
        weight_floor: float | None = None,
        weights: bool = False,
    ) -> Any:
        """Fit thresholds from feedback (and, with ``weights``, recompute learned weights
        first); see ``calibration.calibrate``."""
        from . import calibration as c

        changed = (
            c.recompute_weights(self, reason="calibrate --weights")
            if weights and not (dry_run)
            else 0
        )
        result = c.calibrate(
            self,
            target_precision=target_precision,
            folds=folds,
            dry_run=dry_run,
            weight_floor=weight_floor,
        )
        result.weights_changed = changed
        return result

    def calibration_history(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        from .calibration import history

        return history(self, limit=limit)

    def calibration_report(self) -> dict[str, Any]:
        """Feedback counts, acceptance per register, threshold history, top proposals."""
        from .calibration import report

        return report(self)

    def proposals(self, *, status: str | None = "open", limit: int = 100) -> list[Any]:
        from .calibration import proposals

        return proposals(self, status=status, limit=limit)

    def proposal(self, proposal_id: int) -> Any:
        from .calibration import proposal

        return proposal(self, proposal_id)

    def accept_proposal(self, proposal_id: int, *, reason: str | None = None) -> int:
        """Make the proposal an entry (an ordinary, versioned revision); its entry id."""
        from .calibration import accept

        return accept(self, proposal_id, reason=reason)

    def reject_proposal(self, proposal_id: int, *, reason: str | None = None) -> None:
        from .calibration import reject

        reject(self, proposal_id, reason=reason)

    def edit_proposal(self, proposal_id: int, **changes: Any) -> Any:
        from .calibration import edit

        return edit(self, proposal_id, **changes)

    def growth_rules(self, **changes: Any) -> dict[str, Any]:
        """The growth rules and poisoning guard, after applying ``changes``: ``auto_accept``
        (bool), ``min_users``, ``min_ratio``, ``proposal_support``, ``feedback_rate_per_hour``."""
        from . import calibration as c

        unknown = set(changes) - {
            "auto_accept",
            "min_users",
            "min_ratio",
            "proposal_support",
            "feedback_rate_per_hour",
        }
        if unknown:
            raise BadInputError(f"unknown rule(s): {', '.join(sorted(unknown))}")
        rule = dict(c.auto_accept_rule(self))
        for key, name in (("auto_accept", "enabled"), ("min_users", "min_users")):
            if changes.get(key) is not None:
                rule[name] = changes[key]
        if changes.get("min_ratio") is not None:
            rule["min_ratio"] = changes["min_ratio"]
        if any(changes.get(k) is not None for k in ("auto_accept", "min_users", "min_ratio")):
            c.set_setting(self, "auto_accept", rule)
        for key in ("proposal_support", "feedback_rate_per_hour"):
            if changes.get(key) is not None:
                c.set_setting(self, key, changes[key])
        return {
            "auto_accept": rule,
            "proposal_support": c.get_setting(self, "proposal_support", c.DEFAULT_SUPPORT),
            "feedback_rate_per_hour": c.get_setting(self, "feedback_rate_per_hour", c.DEFAULT_RATE),
        }

    def jobs(self) -> Any:
        """The service's background jobs, read from the database (the server runs them)."""
        from .server.jobs import JobManager

        return JobManager(self.store, workers=1)

    def queries(self, *, mode: str | None = None, limit: int = 50) -> list[Any]:
        return self.store.queries(self.name, mode=mode, limit=limit)

    def query(self, query_id: int) -> Any:
        return self.store.query(self.name, query_id)


def fuse(rankings: list[list[SearchHit]], *, limit: int) -> list[SearchHit]:
    """Reciprocal-rank fusion: each list votes 1/(60 + rank) for its entries."""
    votes: dict[int, float] = {}
    best: dict[int, list[SearchHit]] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            votes[hit.entry.id] = votes.get(hit.entry.id, 0.0) + 1.0 / (RRF_K + rank)
            best.setdefault(hit.entry.id, []).append(hit)
    order = sorted(votes, key=lambda i: (-votes[i], -best[i][0].score))
    out = []
    for entry_id in order[:limit]:
        hits = best[entry_id]
        first = hits[0]
        out.append(
            SearchHit(
                first.entry,
                "+".join(h.match for h in hits),
                first.field,
                first.text,
                round(votes[entry_id], 6),
            )
        )
    return out
