"""The plugin manager: built-in parts are plugins too, and installed plugins load lazily.

Entry points of the group ``hyperlexicon`` load the first time anything asks for the
registry, never at import, so ``hyperlexicon --help`` does not pay for them.
``HYPERLEXICON_LOAD_PLUGINS=a,b`` loads only those distributions (empty: none).

Finding the entry points means reading the metadata of every installed distribution (0.13 s
with a few hundred installed, in every process that needs a plugin). What was found is kept
in the cache directory (``plugins.json``) with what it depends on: ``sys.path``, the
modification times of its directories that hold distributions (installing or removing one
changes its directory; an editable install adds a ``.pth`` file there), each plugin module's
file and its time, this package's version and ``HYPERLEXICON_LOAD_PLUGINS``. While those are
unchanged, a process imports the plugins the cache names without scanning; the commands
plugins add are listed from it too, so ``--help`` imports no plugin at all.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:  # pluggy is imported when the manager is built, not by ``--help``
    import pluggy

DEFAULT_PLUGINS = (
    "hyperlexicon.formats.builtin",
    "hyperlexicon.embeddings",
    "hyperlexicon.connectors",
)
CACHE_FORMAT = 2
# environments remembered side by side: the console script and ``python -m`` see different
# ``sys.path``s, and one record for both made each invalidate the other's on every start
CACHED_ENVIRONMENTS = 8

_pm: pluggy.PluginManager | None = None
# plugin name -> (distribution name, its version), for the plugins entry points brought
_dists: dict[str, tuple[str, str]] = {}
_lock = threading.Lock()


def get_plugin_manager() -> pluggy.PluginManager:
    global _pm
    with _lock:
        if _pm is None:
            import pluggy

            from . import hookspecs

            pm = pluggy.PluginManager("hyperlexicon")
            pm.add_hookspecs(hookspecs)
            _dists.clear()
            _load_entry_points(pm)
            for name in DEFAULT_PLUGINS:
                pm.register(importlib.import_module(name), name)
            _pm = pm
        return _pm


def loaded() -> bool:
    """Whether this process has built the plugin manager (its view beats the cache's)."""
    return _pm is not None


def reset() -> None:
    """Forget loaded plugins (tests, and after ``plugins install``)."""
    global _pm
    with _lock:
        _pm = None


# --- entry points, and the cache of them ----------------------------------------------------


def _cache_file() -> Path:
    from .config import cache_dir

    return cache_dir() / "plugins.json"


def _environment() -> str:
    """What the search for plugins depends on besides files: one string to compare."""
    from .version import __version__

    here = os.getcwd()
    # the current directory (first on the path under ``python -m``) is no place plugins are
    # installed in: where the command runs from must not make the cache useless
    paths = [p for p in sys.path if p not in ("", here)]
    # the string itself is the cache's key: hashing it would import hashlib on every start
    return "\n".join([__version__, os.environ.get("HYPERLEXICON_LOAD_PLUGINS", "\0"), *paths])


def _distribution_dirs() -> list[str]:
    """The ``sys.path`` directories that hold installed distributions (not the current
    directory of ``python -m``, whose time changes whenever a file is written there)."""
    dirs = []
    here = os.getcwd()
    for entry in (p for p in sys.path if p not in ("", here)):
        with contextlib.suppress(OSError), os.scandir(entry or ".") as items:
            if any(i.name.endswith((".dist-info", ".egg-info")) for i in items):
                dirs.append(entry)
    return dirs


def _read_records() -> dict[str, Any]:
    """The cache file's records, by environment (empty if absent, unreadable or older)."""
    try:
        stored = json.loads(_cache_file().read_text("utf-8"))
        if stored.get("format") == CACHE_FORMAT and isinstance(stored.get("environments"), dict):
            return stored["environments"]
    except (OSError, ValueError, AttributeError):
        pass
    return {}


def _read_cache() -> dict[str, Any] | None:
    """The cached plugin list, if it still describes this environment."""
    try:
        record = _read_records().get(_environment())
        if record is None:
            return None
        for path, mtime in record["files"].items():
            if os.stat(path or ".").st_mtime_ns != mtime:
                return None
        return record
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_cache(record: dict[str, Any]) -> None:
    """Best effort: a cache that cannot be written is only slower next time. This
    environment's record replaces its old one and goes last; the oldest others are dropped."""
    target = _cache_file()
    records = _read_records()
    environment = _environment()
    records.pop(environment, None)
    kept = list(records.items())[-(CACHED_ENVIRONMENTS - 1) :]
    stored = {"format": CACHE_FORMAT, "environments": {**dict(kept), environment: record}}
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(stored, ensure_ascii=False, indent=1), "utf-8")
        os.replace(temporary, target)


def _found_entry_points() -> list[tuple[str, str, str, str]]:
    """``(distribution, version, entry point name, value)`` of the group ``hyperlexicon``,
    reading every distribution's metadata (or only those ``HYPERLEXICON_LOAD_PLUGINS``
    names)."""
    from importlib import metadata

    only = os.environ.get("HYPERLEXICON_LOAD_PLUGINS")
    if only is None:
        dists = list(metadata.distributions())
    else:
        dists = []
        for dist_name in (n.strip() for n in only.split(",")):
            if not dist_name:
                continue
            try:
                dists.append(metadata.distribution(dist_name))
            except metadata.PackageNotFoundError:
                sys.stderr.write(
                    f"hyperlexicon: plugin distribution {dist_name!r} is not installed\n"
                )
    found: dict[str, tuple[str, str, str, str]] = {}
    for dist in dists:
        for ep in dist.entry_points:
            if ep.group == "hyperlexicon" and ep.name not in found:
                found[ep.name] = (dist.metadata["Name"], dist.version, ep.name, ep.value)
    return list(found.values())


def _load(value: str) -> Any:
    """What an entry point's ``module`` or ``module:attribute`` names."""
    module_name, _, attribute = value.partition(":")
    target: Any = importlib.import_module(module_name.strip())
    for part in attribute.strip().split(".") if attribute.strip() else ():
        target = getattr(target, part)
    return target


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    record = _read_cache()
    if record is not None:
        entry_points = [tuple(ep) for ep in record["entry_points"]]
    else:
        entry_points = _found_entry_points()
    files: dict[str, int] = {}
    if record is None:
        for directory in _distribution_dirs():
            files[directory] = os.stat(directory or ".").st_mtime_ns
    for dist_name, version, name, value in entry_points:
        if pm.get_plugin(name) is not None:
            continue
        plugin = _load(value)
        pm.register(plugin, name=name)
        _dists[name] = (dist_name, version)
        source = getattr(sys.modules.get(value.partition(":")[0].strip()), "__file__", None)
        if source:
            with contextlib.suppress(OSError):
                files[source] = os.stat(source).st_mtime_ns
    if record is None:
        _write_cache(
            {
                "files": files,
                "entry_points": [list(ep) for ep in entry_points],
                "commands": None,  # filled in by the CLI once it has asked the plugins
            }
        )


def cached_commands() -> dict[str, str] | None:
    """The commands installed plugins add (name -> short help), from the cache; None if
    this process already loaded plugins (it knows better) or the cache says nothing."""
    if loaded():
        return None
    record = _read_cache()
    if record is None or record.get("commands") is None:
        return None
    return dict(record["commands"])


def remember_commands(commands: dict[str, str]) -> None:
    """After the CLI asked the plugins for commands: what they added, for the next start."""
    record = _read_cache()
    if record is not None:
        record["commands"] = commands
        _write_cache(record)


# --- the registries ---------------------------------------------------------------------------


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
    out = []
    for plugin in pm.get_plugins():
        name = pm.get_name(plugin) or repr(plugin)
        dist = _dists.get(name)
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        out.append(
            {
                "name": name,
                "distribution": dist[0] if dist else "hyperlexicon (built in)",
                "version": dist[1] if dist else _own_version(),
                "hooks": hooks,
                "builtin": dist is None,
            }
        )
    return sorted(out, key=lambda p: (not p["builtin"], p["name"]))


def _own_version() -> str:
    from .version import __version__

    return __version__
