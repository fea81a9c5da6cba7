"""The plugin manager: built-in parts are plugins too, and installed plugins load lazily.

Entry points of the group ``hyperlexicon`` load the first time anything asks for the
registry, never at import, so ``hyperlexicon --help`` does not pay for them.
``HYPERLEXICON_LOAD_PLUGINS=a,b`` loads only those distributions (empty: none).
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from importlib import metadata
from typing import Any

import pluggy

from . import hookspecs
from .errors import ConfigError

DEFAULT_PLUGINS = (
    "hyperlexicon.formats.builtin",
    "hyperlexicon.embeddings",
    "hyperlexicon.connectors",
)

_pm: pluggy.PluginManager | None = None
_lock = threading.Lock()


def get_plugin_manager() -> pluggy.PluginManager:
    global _pm
    with _lock:
        if _pm is None:
            pm = pluggy.PluginManager("hyperlexicon")
            pm.add_hookspecs(hookspecs)
            _load_entry_points(pm)
            for name in DEFAULT_PLUGINS:
                pm.register(importlib.import_module(name), name)
            _pm = pm
        return _pm


def reset() -> None:
    """Forget loaded plugins (tests, and after ``plugins install``)."""
    global _pm
    with _lock:
        _pm = None


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    only = os.environ.get("HYPERLEXICON_LOAD_PLUGINS")
    if only is None:
        pm.load_setuptools_entrypoints("hyperlexicon")
        return
    for dist_name in (n.strip() for n in only.split(",")):
        if not dist_name:
            continue
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            sys.stderr.write(f"hyperlexicon: plugin distribution {dist_name!r} is not installed\n")
            continue
        for ep in dist.entry_points:
            if ep.group == "hyperlexicon" and pm.get_plugin(ep.name) is None:
                pm.register(ep.load(), name=ep.name)
                pm._plugin_distinfo.append((pm.get_plugin(ep.name), dist))  # type: ignore[attr-defined]


def _collect(hook_name: str) -> list[tuple[Any, ...]]:
    items: list[tuple[Any, ...]] = []
    getattr(get_plugin_manager().hook, hook_name)(register=lambda *args: items.append(args))
    return items


def registered_formats() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for (fmt,) in _collect("register_formats"):
        if fmt.name in out:
            raise ConfigError(f"two plugins register the format {fmt.name!r}")
        out[fmt.name] = fmt
    return out


def registered_embedders() -> dict[str, Any]:
    """Name (and alias) -> factory(spec) for every embedder plugins contribute."""
    out: dict[str, Any] = {}
    items: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    get_plugin_manager().hook.register_embedders(
        register=lambda *args, **kwargs: items.append((args, kwargs))
    )
    for (name, factory), kwargs in items:
        for key in (name, *kwargs.get("aliases", ())):
            if key in out:
                raise ConfigError(f"two plugins register the embedder {key!r}")
            out[key] = factory
    return out


def registered_connectors() -> dict[str, Any]:
    """Name (and alias) -> factory(context) for every connector plugins contribute."""
    out: dict[str, Any] = {}
    items: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    get_plugin_manager().hook.register_connectors(
        register=lambda *args, **kwargs: items.append((args, kwargs))
    )
    for (name, factory), kwargs in items:
        for key in (name, *kwargs.get("aliases", ())):
            if key in out:
                raise ConfigError(f"two plugins register the connector {key!r}")
            out[key] = factory
    return out


def describe_plugins() -> list[dict[str, Any]]:
    """Every loaded plugin: its name, distribution, version and the hooks it implements."""
    pm = get_plugin_manager()
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    out = []
    for plugin in pm.get_plugins():
        name = pm.get_name(plugin) or repr(plugin)
        dist = dists.get(id(plugin))
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        out.append(
            {
                "name": name,
                "distribution": dist.metadata["Name"] if dist else "hyperlexicon (built in)",
                "version": dist.version if dist else _own_version(),
                "hooks": hooks,
                "builtin": dist is None,
            }
        )
    return sorted(out, key=lambda p: (not p["builtin"], p["name"]))


def _own_version() -> str:
    from .version import __version__

    return __version__
