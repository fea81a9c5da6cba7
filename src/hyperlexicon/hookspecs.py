"""The hooks a plugin can implement. Each follows one pattern: the host passes a ``register``
callable and the plugin calls it once per thing it contributes. Specs may gain arguments
later; an implementation takes only the arguments it names.

A plugin is a module with ``@hyperlexicon.hookimpl`` functions, listed under the entry-point
group ``hyperlexicon`` of its distribution.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("hyperlexicon")
hookimpl = pluggy.HookimplMarker("hyperlexicon")


@hookspec
def register_formats(register: Any) -> None:
    """Contribute exchange formats: ``register(hyperlexicon.formats.Format(...))``.

    A format has a name, file extensions, and a reader and/or writer. The reader yields
    ``(where, record)`` pairs in the native record shape; the writer receives ``EntryData``.
    A reader that keeps a value it cannot map appends a ``ReadWarning`` to the returned
    header's ``warnings`` as it reads: the import reports it, ``--strict`` refuses the file.
    """


@hookspec
def register_embedders(register: Any) -> None:
    """Contribute text embedders: ``register(name, factory)``.

    ``factory(spec: str) -> Embedder`` builds one; ``spec`` is what followed ``name:`` in
    ``--embedder`` (empty for a bare name). An embedder has ``name``, ``model``, ``dimension``
    and ``encode(texts) -> float32 array`` of L2-normalised rows.
    """


@hookspec
def register_connectors(register: Any) -> None:
    """Contribute translation connectors: ``register(name, factory)``.

    ``factory(context: ConnectorContext) -> Connector``; the context has the connector's
    ``option(key)`` and ``key(name)`` (its API key) and the ``bridge`` over the lexicon's
    workspace. A connector has ``translate(request)`` and ``stream(request)``, receiving the
    bridge's request with its glossary of lexicon entries.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``hyperlexicon`` CLI: ``cli`` is the root click group."""
