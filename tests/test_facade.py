"""The declared facade: ``Lexicon`` and ``RemoteLexicon`` both offer every member of
``LexiconAPI``, with the same parameters and return types, member by member; their job
records offer ``JobRecords``; ``hyperlexicon.open`` is the one place that chooses."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import hyperlexicon
from hyperlexicon.config import Settings
from hyperlexicon.facade import JobRecords, LexiconAPI
from hyperlexicon.jobs import Jobs
from hyperlexicon.lexicon import Lexicon
from hyperlexicon.remote import RemoteJobs, RemoteLexicon

IMPLEMENTATIONS = [Lexicon, RemoteLexicon]
# where the protocol names itself, an implementation names its own class
SELF_TYPES = {"LexiconAPI", "JobRecords"}


def _members(protocol: type) -> dict[str, object]:
    out = {}
    for name, value in vars(protocol).items():
        if name.startswith("_") and name not in ("__enter__", "__exit__"):
            continue
        if callable(value) or isinstance(value, property):
            out[name] = value
    return out


def _signature(fn: object) -> inspect.Signature:
    target = fn.fget if isinstance(fn, property) else fn  # type: ignore[attr-defined]
    return inspect.signature(target)


@pytest.mark.parametrize("cls", IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_every_member_of_the_facade_is_offered_alike(cls: type) -> None:
    members = _members(LexiconAPI)
    assert len(members) >= 45
    for name, declared in members.items():
        assert hasattr(cls, name), f"{cls.__name__} lacks {name}"
        offered = getattr(cls, name)
        assert isinstance(offered, property) == isinstance(declared, property), name
        want, got = _signature(declared), _signature(offered)
        assert list(got.parameters) == list(want.parameters), f"{cls.__name__}.{name}"
        for p_name, want_p in want.parameters.items():
            got_p = got.parameters[p_name]
            assert (got_p.kind, got_p.default) == (want_p.kind, want_p.default), (
                f"{cls.__name__}.{name}({p_name})"
            )
            if p_name != "self":
                assert got_p.annotation == want_p.annotation, f"{cls.__name__}.{name}({p_name})"
        if want.return_annotation in SELF_TYPES:
            assert got.return_annotation != inspect.Signature.empty, name
        else:
            assert got.return_annotation == want.return_annotation, f"{cls.__name__}.{name}"


@pytest.mark.parametrize("cls", [Jobs, RemoteJobs], ids=lambda c: c.__name__)
def test_job_records_alike(cls: type) -> None:
    for name, declared in _members(JobRecords).items():
        got, want = _signature(getattr(cls, name)), _signature(declared)
        for p_name, want_p in want.parameters.items():
            assert p_name in got.parameters, f"{cls.__name__}.{name}({p_name})"
            assert got.parameters[p_name].default == want_p.default
        extra = [p for n, p in got.parameters.items() if n not in want.parameters]
        assert all(p.kind == p.KEYWORD_ONLY and p.default is not p.empty for p in extra)
        assert got.return_annotation == want.return_annotation, f"{cls.__name__}.{name}"


def test_no_facade_method_returns_any() -> None:
    loose = [
        f"{cls.__name__}.{name}"
        for cls in IMPLEMENTATIONS
        for name in _members(LexiconAPI)
        if _signature(getattr(cls, name)).return_annotation in ("Any", inspect.Signature.empty)
    ]
    assert loose == []


def test_open_chooses_local_or_remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERLEXICON_HOME", str(tmp_path / "home"))
    local = hyperlexicon.open("other")
    assert isinstance(local, Lexicon) and local.name == "other"
    assert isinstance(local, LexiconAPI)
    monkeypatch.setenv("HYPERLEXICON_SERVER_URL", "http://127.0.0.1:9")
    remote = hyperlexicon.open()
    assert isinstance(remote, RemoteLexicon) and isinstance(remote, LexiconAPI)
    assert isinstance(remote.jobs(), JobRecords)
    monkeypatch.delenv("HYPERLEXICON_SERVER_URL")
    given = hyperlexicon.open(settings=Settings.load(home=str(tmp_path / "h2")))
    assert isinstance(given, Lexicon) and given.settings.home == tmp_path / "h2"
    for lex in (local, remote, given):
        lex.close()
