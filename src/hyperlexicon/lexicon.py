"""``Lexicon``: the facade the CLI, the server and Python users work through, on a local store.

It binds settings (which database, which lexicon, who is writing) to the store and the index,
hands the engine (bridge, calibration, connectors) a narrow ``Workspace``, and logs every
query. Each method is a delegation to the module that owns the work, so this file reads as a
table of contents; ``facade.LexiconAPI`` declares the same methods for ``RemoteLexicon``.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from . import history as versioning
from .config import Settings
from .entry import EntryData
from .errors import BadInputError, NotFoundError
from .facade import FileTransfer
from .history import Diff, VersionInfo
from .jobs import Jobs
from .store import (
    ImportReport,
    LexiconState,
    QueryRecord,
    RevisionRecord,
    SearchHit,
    Store,
    StoredEntry,
)
from .workspace import Workspace

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .bridge import Answer, Bridge, Decoded
    from .calibration import CalibrationResult, FeedbackResult, ProposalView
    from .connectors import TranslationResult
    from .index import DoctorReport, DrainReport, Index
    from .prompt import HyperPrompt
    from .scene import Scene
    from .stability import Thresholds

SEED_PREFIX = "seed-"
CORE_SEED = "core"


_THRESHOLDS: weakref.WeakKeyDictionary[Store, dict[tuple[str, int], Thresholds]] = (
    weakref.WeakKeyDictionary()
)
_THRESHOLDS_LOCK = threading.Lock()


def _thresholds(ws: Workspace, state: LexiconState) -> Thresholds:
    """The lexicon's thresholds, read once per calibration and process (per store, so every
    request of a server shares them): they change only when a calibration is recorded."""
    from .calibration import current_thresholds

    key = (ws.lexicon, state.calibration)
    with _THRESHOLDS_LOCK:
        known = _THRESHOLDS.setdefault(ws.store, {})
        if key in known:
            return known[key]
    thresholds = current_thresholds(ws)
    with _THRESHOLDS_LOCK:
        known = _THRESHOLDS.setdefault(ws.store, {})
        for stale in [k for k in known if k[0] == ws.lexicon]:
            del known[stale]
        known[key] = thresholds
    return thresholds


def seeds_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "seeds", here.parent.parent / "seeds"):
        if candidate.is_dir():
            return candidate
    raise NotFoundError("the seeds folder is missing from this installation")


def available_seeds() -> list[str]:
    return sorted(p.stem for p in seeds_dir().glob("*.yaml"))


def seed_names(spec: str | Sequence[str]) -> list[str]:
    """``core,emoji`` as the seeds to load, in the order they load: each once, ``core`` first
    whatever the order given (a form two seeds share keeps core's entry, which takes the
    other seed's names: ``Lexicon.load_seeds``), then as given.
    Every name is checked before anything loads."""
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    names = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not names:
        raise BadInputError(
            "--seed: no seed named (available: " + ", ".join(available_seeds()) + ")"
        )
    known = available_seeds()
    for n in names:
        if n not in known:
            raise BadInputError(f"--seed: no seed named {n!r} (available: {', '.join(known)})")
    return sorted(names, key=lambda n: n != CORE_SEED)


def combined(loads: Sequence[SeedLoad]) -> ImportReport | None:
    """The imports of several seeds as one report; None if none was loaded."""
    reports = [load.report for load in loads if load.report]
    if not reports:
        return None
    total = ImportReport()
    for r in reports:
        total.created += r.created
        total.updated += r.updated
        total.unchanged += r.unchanged
        total.skipped += r.skipped
        total.repairs += r.repairs
    return total


@dataclass
class SeedLoad:
    """What loading one seed did: its import (None if it was tagged already), the forms it
    skipped because a person's entry held them, and the forms whose entry from another seed
    took its names (each as ``(seed's form, the stored form)``)."""

    seed: str
    tag: str
    report: ImportReport | None
    kept: list[tuple[str, str]] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "tag": self.tag,
            "loaded": self.report is not None,
            "import": self.report.to_dict() if self.report else None,
            "kept": [{"seed_form": a, "stored_form": b} for a, b in self.kept],
            "merged": [{"seed_form": a, "stored_form": b} for a, b in self.merged],
        }


# what ``Lexicon.warm`` encodes: a sentence of each language the bridge reads, with nouns,
# verbs and adjectives, so that every table an encode may read is loaded
WARMING = (
    "Холодный ветер принёс с моря запах соли, и мы долго молчали у огня.",
    "The cold wind brought the smell of salt from the sea, and we sat by the fire.",
)


class Lexicon(FileTransfer):
    """One named lexicon in a store, with the settings it was opened with."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        name: str | None = None,
        store: Store | None = None,
        index: Index | None = None,
    ) -> None:
        self.settings = settings or Settings.load()
        self.name = name or self.settings.lexicon
        self._store = store
        self._index = index
        self.index_note: str | None = None  # why the last write could not update the index

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

    @property
    def workspace(self) -> Workspace:
        """What the engine is handed: this lexicon's store, name, author, settings, index."""
        return Workspace(
            self.store, self.name, self.author, self.settings, self.synced_index, self._after_write
        )

    @property
    def bridge(self) -> Bridge:
        """HyperBridge with the thresholds of the latest calibration (or the defaults).

        One statement (``Store.state``) says what changed since this process last looked:
        the thresholds are read again only after a calibration, and the index is synced
        only if the outbox holds changes (at most once per bridge: a bridge serves one
        request)."""
        return self._bridge(sync=True)

    def _bridge(self, *, sync: bool) -> Bridge:
        """The bridge; with ``sync`` false, over the index as it is even if the outbox holds
        changes (then queries go to Chroma, not to a snapshot of the revision)."""
        from .bridge import Bridge

        state = self.store.state(self.name)
        synced: list[Index] = []

        def index() -> Index:
            if not synced:
                if state.pending and not sync:
                    synced.append(self.index)
                else:
                    synced.append(self.synced_index() if state.pending else self.index)
                    synced[0].note_synced(self.name, state.revision)
            return synced[0]

        ws = Workspace(self.store, self.name, self.author, self.settings, index, self._after_write)
        return Bridge(ws, _thresholds(ws, state), revision=state.revision)

    def using(self, name: str) -> Lexicon:
        """The same store (and index), another lexicon."""
        return Lexicon(self.settings, name=name, store=self.store, index=self._index)

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
        cls,
        settings: Settings | None = None,
        *,
        seed: str | Sequence[str] | None = None,
        name: str | None = None,
    ) -> tuple[Lexicon, ImportReport | None]:
        """Migrate the database to the current schema, create the lexicon, load seeds
        (``core``, or ``core,emoji``: see ``load_seeds``). The report sums the seeds'
        imports; None if none was loaded now."""
        from . import migrate

        settings = settings or Settings.load()
        names = seed_names(seed) if seed else []
        settings.home.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(settings.database_url)
        lex = cls(settings, name=name)
        with lex.store.write() as s:
            lex.store.lexicon_id(s, lex.name, create=True)
        return lex, combined(lex.load_seeds(names) if names else [])

    def load_seed(self, seed: str) -> ImportReport | None:
        """Load ``seeds/<seed>.yaml`` and tag ``seed-<seed>-1``; nothing to do if tagged already."""
        [loaded] = self.load_seeds([seed])
        return loaded.report

    def load_seeds(self, seeds: str | Sequence[str]) -> list[SeedLoad]:
        """Load each seed (core first, ``seed_names``), each tagged ``seed-<name>-1`` once
        loaded; a seed tagged already is left alone. A seed's entry whose form the lexicon
        holds already is not stored: another seed's entry takes its names
        (``SeedLoad.merged``), a person's is left as it is (``SeedLoad.kept``)."""
        names = seed_names(seeds)
        tags = {v.name for v in self.versions()}
        return [self._load_seed(n, tags) for n in names]

    def _load_seed(self, seed: str, tags: set[str]) -> SeedLoad:
        from .formats import choose

        path = seeds_dir() / f"{seed}.yaml"
        tag = f"{SEED_PREFIX}{seed}-1"
        if tag in tags:
            return SeedLoad(seed, tag, None)
        fmt = choose(path)
        assert fmt.read is not None
        with path.open("rb") as stream:
            header, records = fmt.read(stream, f"seeds/{path.name}")
            # a shipped seed is clean: anything to repair would be a bug in it
            items = [(w, EntryData.from_dict(r, w, repair=False)) for w, r in records]
        held = self.store.by_keys(self.name, (d.key for _, d in items), status=None)
        # A form the lexicon holds from a shipped seed takes this seed's name for it after
        # its own glosses (core's 🔥 «жар, пыл» also says «огонь», 🌳 «древо» «дерево»):
        # ordinary text uses the everyday name. Only the name: the seed's further words
        # (CLDR keywords) would carry the held entry's weight (a core glyph's 0.8 against an
        # emoji's 0.5) and outrank the entries that share them (🌉 «мост» took «ночь» from
        # «мост ночью» and stood for every «ночью»; docs/bridge.md has the figures). A form
        # a person added or made their own (provenance not "seed") is left as it is.
        loaded: list[tuple[str, EntryData]] = []
        kept: list[tuple[str, str]] = []
        merged: list[tuple[str, str]] = []
        for where, d in items:
            stored = held.get(d.key)
            if stored is None:
                loaded.append((where, d))
            elif stored.data.provenance == "seed":
                loaded.append((where, stored.data.with_names_of(d)))
                merged.append((d.form, stored.form))
            else:
                kept.append((d.form, stored.form))
        report = self.store.import_entries(
            self.name,
            loaded,
            author=self.author,
            reason=f"seed {seed}",
            on_conflict="update",
            description=header.description,
        )
        report.skipped += len(kept)
        self._after_write()
        self.create_version(tag, message=f"seed lexicon {seed!r} as shipped")
        return SeedLoad(seed, tag, report, kept, merged)

    # --- entries ------------------------------------------------------------------------

    def add(self, data: EntryData, *, reason: str | None = None) -> StoredEntry:
        return self.workspace.add(data, reason=reason)

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
            self.name, form, apply, author=self.author, reason=reason, expect_version=expect_version
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
        """Entries under the filters, by ``sort`` (form, kind: glyphs first, weight, status,
        updated) in ``order`` (asc, desc), ties in form order."""
        return self.store.list(
            self.name,
            kind=kind,
            register=register,
            status=status,
            limit=limit,
            offset=offset,
            sort=sort,
            order=order,
        )

    def count(
        self, *, kind: str | None = None, register: str | None = None, status: str | None = None
    ) -> int:
        return self.store.count(self.name, kind=kind, register=register, status=status)

    def facets(
        self, *, kind: str | None = None, register: str | None = None, status: str | None = None
    ) -> dict[str, dict[str, int]]:
        """Counts by kind, register and status, each under the other filters."""
        return self.store.facets(self.name, kind=kind, register=register, status=status)

    def search(
        self, query: str, *, mode: str = "exact", limit: int = 20, **filters: Any
    ) -> list[SearchHit]:
        """Search entries: ``exact`` (SQL), ``semantic`` (the index) or ``hybrid`` (both,
        fused by reciprocal rank); see ``index.search``. The lexicon's thresholds (its latest
        calibration's, as the bridge's) say which glosses are as near as a translation."""
        from .index import search

        thresholds = None
        if mode != "exact":
            thresholds = _thresholds(self.workspace, self.store.state(self.name))
        return search(
            self.store,
            self.synced_index,
            self.name,
            query,
            mode=mode,
            limit=limit,
            thresholds=thresholds,
            **filters,
        )

    def history(self, form: str | None = None, *, limit: int | None = None) -> list[RevisionRecord]:
        return self.store.history(self.name, form, limit=limit)

    def revert(self, revision_id: int, *, reason: str | None = None) -> RevisionRecord:
        """Undo one revision as a new one (refused when a later one changed the same field)."""
        reverted = versioning.revert(
            self.store, self.name, revision_id, author=self.author, reason=reason
        )
        self._after_write()
        return reverted

    # --- the index ----------------------------------------------------------------------

    def synced_index(self) -> Index:
        """The index with this lexicon's pending changes applied (start-up drain), vouched
        for at the revision it was found in step with (``Index.note_synced``), as the bridge
        vouches for its own: a semantic search then reads the snapshot of a small collection
        (exact, and the same from one process to the next) instead of asking Chroma, whose
        approximate answers differed between two runs of the same 404 queries."""
        state = self.store.state(self.name)
        if state.pending:
            self.index.drain(self.store, self.name)
            state = self.store.state(self.name)
        if not state.pending:
            self.index.note_synced(self.name, state.revision)
        return self.index

    def sync(self, progress: Callable[[int], None] | None = None) -> DrainReport:
        return self.index.drain(self.store, self.name, progress=progress)

    def prepare(self) -> list[str]:
        """Prepare in the cache directory what the first encode would otherwise prepare:
        the bilingual dictionary compiled (``bilingual``), the embedder's common centre
        (``embeddings.common_centre``), the Russian thesaurus compiled when it is installed.
        ``init`` calls it: the first encode after ``init --seed core,emoji`` on a new machine
        took 11.4 s, 4.8 s of it compiling the dictionary and 1.9 s embedding the common
        words, where every later one takes under a second. Returns what is ready, by name;
        each is prepared once per installation, and asked again it only opens the file."""
        from .embeddings import common_centre
        from .thesaurus import russian_thesaurus_for

        ready = []
        if self.index.translations is not None:
            ready.append("bilingual dictionary")
        if russian_thesaurus_for(self.settings.thesaurus_ru) is not None:
            ready.append("Russian thesaurus")
        common_centre(self.index.embedder)
        ready.append("the model's common centre")
        return ready

    def warm(self) -> None:
        """Load what an encode needs and keep it out of the cyclic collector's way, for a
        process that serves many encodes (``serve`` calls it before it listens).

        The first request then pays no loads (the model, the morphology, the tagger, the
        thesauri and the dictionary, the index's snapshot), and what the imports and the
        loads made (about 170k objects) is frozen: no later full collection walks it again.
        Without it one such collection, about every 200 encodes, walked 240k objects for
        150 ms, 5% of a warm encode on average (bench/bridge_bench.py). Nothing is logged
        and the outbox is left to the drain (a big one takes minutes). Freezing is for the
        whole process: nothing else here asks for it (``main`` in another program's process
        leaves the collector alone)."""
        import gc

        bridge = self._bridge(sync=False)
        for text in WARMING:
            bridge.encode(text, stability=False)
        gc.collect()  # what is garbage now is not frozen with the rest
        gc.freeze()

    def _after_write(self) -> None:
        """Apply the write to the index now, if we may; otherwise it waits in the outbox."""
        self.index_note = None
        if not self.settings.auto_index:
            return
        from .errors import IndexBusyError

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
        from .formats import read_entries

        header, items, repairs = read_entries(stream, source, format, repair=repair, strict=strict)
        report = self.store.import_entries(
            self.name,
            items,
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
        from .formats import Header, write_entries

        if version and version != versioning.WORKING:
            items = list(versioning.state(self.store, self.name, version).values())
        else:
            items = [e.data for e in self.store.iter_entries(self.name)]
        description = self.store.lexicon_description(self.name)
        header = Header(self.name, description or None, version)
        return write_entries(stream, format, header, items, progress)

    # --- versions -----------------------------------------------------------------------

    def create_version(self, name: str, *, message: str = "") -> VersionInfo:
        return versioning.create(self.store, self.name, name, message=message, author=self.author)

    def versions(self) -> list[VersionInfo]:
        return versioning.list_versions(self.store, self.name)

    def at(self, version: str) -> dict[str, EntryData]:
        """The lexicon as of a version (name, ``@<revision>`` or ``working``)."""
        return versioning.state(self.store, self.name, version)

    def diff(self, a: str, b: str = versioning.WORKING) -> Diff:
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

    # --- HyperBridge (each query logged) ------------------------------------------------

    def encode(
        self,
        text: str,
        *,
        register: str | None = None,
        lang: str | None = None,
        stability: bool = True,
        log: bool = True,
    ) -> Scene:
        """Text → hyperscene; what stays unexplained feeds growth (the query and its
        evidence written in one transaction: ``calibration.record_observation``)."""
        start = time.perf_counter()
        ws = self.workspace
        scene = self.bridge.encode(text, register=register, lang=lang, stability=stability)
        if not log:
            return scene
        from .calibration import propose_observed, record_observation

        params = {"register": register, "lang": lang}
        with self.store.write() as s:
            scene.query_id = self._log(
                "encode",
                text,
                params,
                scene.to_dict(),
                scene.hyperstring,
                scene.revision,
                start,
                log,
                session=s,
            )
            seen = record_observation(ws, s, scene.query_id, scene, scene.text or text)
        propose_observed(ws, seen)
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
        """Hyperstring (or scene) → text in a style and language."""
        start = time.perf_counter()
        decoded = self.bridge.decode(source, style=style, lang=lang, register=register)
        text_in = source if isinstance(source, str) else source.hyperstring
        params = {"style": style, "lang": lang, "register": register}
        decoded.scene.query_id = self._log(
            "decode",
            text_in,
            params,
            decoded.to_dict() if log else {},
            decoded.text,
            decoded.scene.revision,
            start,
            log,
        )
        return decoded

    def compress(
        self, sources: list[str], *, lang: str = "ru", limit: int | None = None, log: bool = True
    ) -> Scene:
        """A chain of scenes → one compressed concept."""
        start = time.perf_counter()
        scene = self.bridge.compress(sources, lang=lang, limit=limit)
        params = {"lang": lang, "limit": limit}
        scene.query_id = self._log(
            "compress",
            "\n".join(sources),
            params,
            scene.to_dict(),
            scene.hyperstring,
            scene.revision,
            start,
            log,
        )
        return scene

    def ask(self, question: str, *, lang: str | None = None, log: bool = True) -> Answer:
        """Question → hypercode of the answer."""
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
        """How the scene's lexemes hold together in the lexicon (``Bridge.links``)."""
        return self.bridge.links(scene)

    def picture(self, scene: Scene, *, title: str | None = None, width: int = 880) -> str:
        """The scene as an SVG drawing (``picture.render_svg``) with its lexicon links."""
        from .picture import render_svg

        return render_svg(scene, links=self.links(scene), title=title, width=width)

    # --- connectors (each request logged with the connector that served) ----------------

    def glossary(self, mode: str, text: str, lang: str = "ru") -> list[Any]:
        """The entries a connector is shown for a request (``connectors.glossary``)."""
        from .connectors import glossary

        return glossary(self.bridge, mode, text, lang)

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
        """A request through a chain of connectors (the first good answer wins)."""
        from . import connectors as conn

        start = time.perf_counter()
        bridge = self.bridge
        request = conn.make_request(
            bridge,
            mode,
            text,
            connectors,
            register=register,
            style=style,
            lang=lang,
            image=image,
            image_type=image_type,
            constraints=constraints,
        )
        result = conn.translate(bridge, connectors, request)
        conn.honour(bridge, result, request)
        return self._log_translation(result, request, connectors, start, log)

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
        the (logged) result; a lexeme the request excludes never shows, even in passing."""
        from . import connectors as conn
        from .text import form_key

        start = time.perf_counter()
        bridge = self.bridge
        request = conn.make_request(
            bridge,
            mode,
            text,
            connectors,
            register=register,
            style=style,
            lang=lang,
            image=image,
            image_type=image_type,
            constraints=constraints,
        )
        excluded = {form_key(f) for f in request.exclude}
        for event in conn.translate_stream(bridge, connectors, request):
            if isinstance(event, conn.TranslationResult):
                conn.honour(bridge, event, request)
                yield self._log_translation(event, request, connectors, start, log)
            elif not (excluded and form_key(getattr(event, "form", "")) in excluded):
                yield event

    def run_prompt(self, prompt: HyperPrompt) -> TranslationResult:
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

    # --- the query log ------------------------------------------------------------------

    def queries(self, *, mode: str | None = None, limit: int = 50) -> list[QueryRecord]:
        return self.store.queries(self.name, mode=mode, limit=limit)

    def query(self, query_id: int) -> QueryRecord:
        return self.store.query(self.name, query_id)

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
        session: Session | None = None,
    ) -> int | None:
        """Log the query (in ``session``, a write transaction under way, if given)."""
        if not log:
            return None
        row = {
            "mode": mode,
            "input": text,
            "params": params,
            "result": result,
            "output": output,
            "revision": revision,
            "latency_ms": (time.perf_counter() - start) * 1000,
            "author": self.author,
            "connector": connector,
        }
        if session is not None:
            return self.store.insert_query(session, self.name, **row)
        with self.store.write() as s:
            return self.store.insert_query(s, self.name, **row)

    def _log_translation(
        self, result: Any, request: Any, connectors: list[str], start: float, log: bool
    ) -> Any:
        mode, image = request.mode, request.image
        text = (
            request.text
            if image is None
            else f"[image {request.image_type}, {len(image)} bytes] {request.text}".strip()
        )
        params = {
            "register": request.register,
            "style": request.style,
            "lang": request.lang,
            "connectors": connectors,
            "keep": request.keep,
            "require": request.require,
            "exclude": request.exclude,
        }
        output = (
            result.text
            if mode in ("decode", "ask")
            else (result.scene.hyperstring if result.scene else "")
        )
        revision = self.store.last_revision(self.name)
        query_id = self._log(
            mode,
            text,
            params,
            result.to_dict(),
            output,
            revision,
            start,
            log,
            connector=result.connector,
        )
        if result.scene is not None:
            result.scene.query_id = query_id
        return result

    # --- calibration ----------------------------------------------------------------------

    def feedback(self, query_id: int, kind: str, **details: Any) -> FeedbackResult:
        """Accept, reject, correct or rate a logged query (``calibration.give_feedback``)."""
        from .calibration import give_feedback

        return give_feedback(self.workspace, query_id, kind, **details)

    def calibrate(
        self,
        *,
        target_precision: float | None = None,
        folds: int = 5,
        dry_run: bool = False,
        weight_floor: float | None = None,
        weights: bool = False,
    ) -> CalibrationResult:
        """Fit thresholds from feedback, after recomputing learned weights with ``weights``
        (``calibration.calibrate``)."""
        from .calibration import calibrate

        return calibrate(
            self.workspace,
            target_precision=target_precision,
            folds=folds,
            dry_run=dry_run,
            weight_floor=weight_floor,
            weights=weights,
        )

    def calibration_history(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        from .calibration import history

        return history(self.workspace, limit=limit)

    def calibration_report(self) -> dict[str, Any]:
        """Feedback counts, acceptance per register, threshold history, top proposals."""
        from .calibration import report

        return report(self.workspace)

    def proposals(self, *, status: str | None = "open", limit: int = 100) -> list[ProposalView]:
        from .calibration import proposals

        return proposals(self.workspace, status=status, limit=limit)

    def proposal(self, proposal_id: int) -> ProposalView:
        from .calibration import proposal

        return proposal(self.workspace, proposal_id)

    def accept_proposal(self, proposal_id: int, *, reason: str | None = None) -> int:
        """Make the proposal an entry (an ordinary, versioned revision); its entry id."""
        from .calibration import accept

        return accept(self.workspace, proposal_id, reason=reason)

    def reject_proposal(self, proposal_id: int, *, reason: str | None = None) -> None:
        from .calibration import reject

        reject(self.workspace, proposal_id, reason=reason)

    def edit_proposal(self, proposal_id: int, **changes: Any) -> ProposalView:
        from .calibration import edit

        return edit(self.workspace, proposal_id, **changes)

    def growth_rules(self, **changes: Any) -> dict[str, Any]:
        """The growth rules and poisoning guard, after ``changes`` (see ``calibration``)."""
        from .calibration import growth_rules

        return growth_rules(self.workspace, **changes)

    # --- jobs -----------------------------------------------------------------------------

    def jobs(self) -> Jobs:
        """The service's background jobs, read (and cancelled) through the database."""
        return Jobs(self.store)
