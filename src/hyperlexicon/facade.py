"""The facade's declared shape: ``LexiconAPI``, the public methods that ``Lexicon`` (a local
store) and ``RemoteLexicon`` (a running server) both offer with the same return types, so the
CLI and Python users hold either without caring which; and ``FileTransfer``, import and export
by path over each one's streams.

Local-only work (the index's sync and doctor, seeds, the bridge itself) is not part of it: a
``RemoteLexicon`` answers it with a clear error.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, runtime_checkable

from .errors import BadInputError

if TYPE_CHECKING:
    from .bridge import Answer, Decoded
    from .calibration import CalibrationResult, FeedbackResult, ProposalView
    from .config import Settings
    from .connectors import TranslationResult
    from .entry import EntryData
    from .history import Diff, VersionInfo
    from .jobs import JobView
    from .prompt import HyperPrompt
    from .scene import Scene
    from .store import ImportReport, QueryRecord, RevisionRecord, SearchHit, StoredEntry


@runtime_checkable
class JobRecords(Protocol):
    """Background jobs as a client sees them: list, read, cancel."""

    def list(self, *, limit: int = 50) -> list[JobView]: ...

    def get(self, job_id: str) -> JobView: ...

    def cancel(self, job_id: str) -> JobView: ...


@runtime_checkable
class LexiconAPI(Protocol):
    """One lexicon, local or on a server: every method the CLI and the service use."""

    name: str
    settings: Settings
    index_note: str | None

    @property
    def author(self) -> str: ...

    def using(self, name: str) -> LexiconAPI: ...

    def close(self) -> None: ...

    def __enter__(self) -> LexiconAPI: ...

    def __exit__(self, *exc: object) -> None: ...

    # entries
    def add(self, data: EntryData, *, reason: str | None = None) -> StoredEntry: ...

    def find(self, form: str) -> StoredEntry | None: ...

    def get(self, form: str) -> StoredEntry: ...

    def edit(
        self,
        form: str,
        change: Callable[[EntryData], EntryData] | None = None,
        /,
        *,
        expect_version: int | None = None,
        reason: str | None = None,
        **fields: Any,
    ) -> StoredEntry: ...

    def remove(
        self, form: str, *, expect_version: int | None = None, reason: str | None = None
    ) -> EntryData: ...

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
    ) -> list[StoredEntry]: ...

    def count(
        self, *, kind: str | None = None, register: str | None = None, status: str | None = None
    ) -> int: ...

    def facets(
        self, *, kind: str | None = None, register: str | None = None, status: str | None = None
    ) -> dict[str, dict[str, int]]: ...

    def search(
        self, query: str, *, mode: str = "exact", limit: int = 20, **filters: Any
    ) -> list[SearchHit]: ...

    def history(
        self, form: str | None = None, *, limit: int | None = None
    ) -> list[RevisionRecord]: ...

    def revert(self, revision_id: int, *, reason: str | None = None) -> RevisionRecord: ...

    # the index
    def index_status(self) -> dict[str, Any]: ...

    def rebuild_index(self, progress: Callable[[int], None] | None = None) -> int: ...

    # import and export
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
    ) -> ImportReport: ...

    def export_stream(
        self,
        stream: BinaryIO,
        *,
        format: str,
        version: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int: ...

    def import_file(
        self, path: str | Path, *, format: str | None = None, **options: Any
    ) -> ImportReport: ...

    def export_file(
        self,
        path: str | Path,
        *,
        format: str | None = None,
        version: str | None = None,
        **kw: Any,
    ) -> int: ...

    # versions and lexicons
    def create_version(self, name: str, *, message: str = "") -> VersionInfo: ...

    def versions(self) -> list[VersionInfo]: ...

    def at(self, version: str) -> dict[str, EntryData]: ...

    def diff(self, a: str, b: str = "working") -> Diff: ...

    def rollback(
        self, version: str, *, reason: str | None = None
    ) -> tuple[str, dict[str, int]]: ...

    def stats(self, *, all_lexicons: bool = False) -> dict[str, Any]: ...

    def lexicons(self) -> list[dict[str, Any]]: ...

    def create_lexicon(self, name: str, description: str = "") -> None: ...

    def delete_lexicon(self, name: str) -> None: ...

    # HyperBridge
    def encode(
        self,
        text: str,
        *,
        register: str | None = None,
        lang: str | None = None,
        stability: bool = True,
        log: bool = True,
    ) -> Scene: ...

    def decode(
        self,
        source: str | Scene,
        *,
        style: str = "narrative",
        lang: str = "ru",
        register: str | None = None,
        log: bool = True,
    ) -> Decoded: ...

    def compress(
        self, sources: list[str], *, lang: str = "ru", limit: int | None = None, log: bool = True
    ) -> Scene: ...

    def ask(self, question: str, *, lang: str | None = None, log: bool = True) -> Answer: ...

    def picture(self, scene: Scene, *, title: str | None = None, width: int = 880) -> str: ...

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
    ) -> TranslationResult: ...

    def run_prompt(self, prompt: HyperPrompt) -> TranslationResult: ...

    # the query log and calibration
    def queries(self, *, mode: str | None = None, limit: int = 50) -> list[QueryRecord]: ...

    def query(self, query_id: int) -> QueryRecord: ...

    def feedback(self, query_id: int, kind: str, **details: Any) -> FeedbackResult: ...

    def calibrate(
        self,
        *,
        target_precision: float | None = None,
        folds: int = 5,
        dry_run: bool = False,
        weight_floor: float | None = None,
        weights: bool = False,
    ) -> CalibrationResult: ...

    def calibration_history(self, *, limit: int | None = None) -> list[dict[str, Any]]: ...

    def calibration_report(self) -> dict[str, Any]: ...

    def proposals(self, *, status: str | None = "open", limit: int = 100) -> list[ProposalView]: ...

    def proposal(self, proposal_id: int) -> ProposalView: ...

    def accept_proposal(self, proposal_id: int, *, reason: str | None = None) -> int: ...

    def reject_proposal(self, proposal_id: int, *, reason: str | None = None) -> None: ...

    def edit_proposal(self, proposal_id: int, **changes: Any) -> ProposalView: ...

    def growth_rules(self, **changes: Any) -> dict[str, Any]: ...

    # jobs
    def jobs(self) -> JobRecords: ...


class FileTransfer(ABC):
    """Import and export by path, over ``import_stream`` and ``export_stream``: the one place
    for it, whether the lexicon is local or on a server."""

    @abstractmethod
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
        """Import a file's entries, all or nothing."""

    @abstractmethod
    def export_stream(
        self,
        stream: BinaryIO,
        *,
        format: str,
        version: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write the lexicon (or a version of it); how many entries."""

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
        self,
        path: str | Path,
        *,
        format: str | None = None,
        version: str | None = None,
        **kw: Any,
    ) -> int:
        from .formats import choose

        path = Path(path)
        fmt = choose(path, format, for_writing=True)
        buffer = io.BytesIO()
        count = self.export_stream(buffer, format=fmt.name, version=version, **kw)
        path.write_bytes(buffer.getvalue())  # only a complete export replaces the file
        return count
