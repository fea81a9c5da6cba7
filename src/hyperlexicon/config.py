"""Settings: flags beat environment variables, which beat ``config.toml`` in the home directory.

::

    HYPERLEXICON_HOME             where the SQLite file, the Chroma index and keys live
    HYPERLEXICON_DB_URL           any SQLAlchemy URL (default: sqlite file in the home)
    HYPERLEXICON_CHROMA_URL       a Chroma server (default: embedded Chroma in the home)
    HYPERLEXICON_EMBEDDING_MODEL  use-multilingual | st:/path/to/model | st:<package>
    HYPERLEXICON_LEXICON          the lexicon commands act on (default: core)
    HYPERLEXICON_AUTHOR           who is recorded as making changes (default: the OS user)
    HYPERLEXICON_AUTO_INDEX       0 to leave index updates to 'index sync' (default: 1, after
                                  every write)
    HYPERLEXICON_SERVER_URL       talk to a running 'hyperlexicon serve' instead of the local
                                  store (the CLI and ``open_lexicon``)
    HYPERLEXICON_SERVER_TOKEN     the bearer token for that server, when it has tokens
    HYPERLEXICON_EMBED_THREADS    threads bulk embedding (indexing) may use (default: the
                                  usable cores); a query always embeds on one
    HYPERLEXICON_BILINGUAL        the Russian-English dictionary queries are expanded with:
                                  auto (Debian's mueller7-dict when installed), off, or
                                  the path of a dictd .index or a .tsv of english<TAB>russian
    HYPERLEXICON_CACHE_DIR        where prepared models and the plugin list are kept
                                  (default: the user's cache directory; not a setting of
                                  config.toml, since it is shared by every home)
    HYPERLEXICON_REPRODUCIBLE     an ISO instant: the clock stands there and job and dialogue
                                  ids are numbered (scripted runs such as the screenshots
                                  only; read by ``models.utcnow`` and ``models.new_id``)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

ENV_PREFIX = "HYPERLEXICON_"
DEFAULT_LEXICON = "core"
DEFAULT_EMBEDDER = "use-multilingual"


def default_home() -> Path:
    from platformdirs import user_data_path

    return user_data_path("hyperlexicon", appauthor=False)


def cache_dir() -> Path:
    """What this installation prepares once and reuses in every process (the embedding
    model in loadable form, the list of installed plugins): ``HYPERLEXICON_CACHE_DIR``,
    else the user's cache directory. Shared by all homes: it depends only on what is
    installed, and anything in it can be deleted at any time."""
    configured = os.environ.get(ENV_PREFIX + "CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("hyperlexicon", appauthor=False)


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=default_home)
    db_url: str | None = None
    chroma_url: str | None = None
    embedding_model: str = DEFAULT_EMBEDDER
    lexicon: str = DEFAULT_LEXICON
    author: str | None = None
    auto_index: bool = True
    server_url: str | None = None
    server_token: str | None = None
    # worker threads for bulk embedding; None: the usable cores (embeddings.usable_cores)
    embed_threads: int | None = None
    # the bilingual dictionary that expands queries: auto, off or a path (bilingual.source_for)
    bilingual: str = "auto"
    # the thesaurus (WordNet) that leads a word to broader and synonymous glosses: auto, off
    # or a directory of WordNet's database files (thesaurus.source_for)
    thesaurus: str = "auto"
    # the Russian thesaurus (Wiktionary's, the wiki-ru-wordnet package): auto, off or the
    # path of its SQLite file (thesaurus.russian_source_for)
    thesaurus_ru: str = "auto"
    # [connectors.<name>] tables of config.toml: options for each connector
    connectors: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Resolve settings; ``overrides`` are the flags (``None`` means not given)."""
        env = os.environ
        home_value = overrides.get("home") or env.get(ENV_PREFIX + "HOME")
        home = Path(home_value).expanduser() if home_value else default_home()
        values: dict[str, Any] = {}
        config_file = home / "config.toml"
        if config_file.is_file():
            import tomllib  # only where there is a file to read: it is a tenth of ``--help``

            try:
                values.update(tomllib.loads(config_file.read_text("utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{config_file}: {exc}") from None
            unknown = set(values) - {f.name for f in fields(cls)} - {"home"}
            if unknown:
                raise ConfigError(
                    f"{config_file}: unknown setting(s): {', '.join(sorted(unknown))}"
                )
            values.pop("home", None)
        for f in fields(cls):
            if f.name in ("home", "connectors"):
                continue
            env_value = env.get(ENV_PREFIX + f.name.upper())
            if env_value:
                values[f.name] = env_value
            if overrides.get(f.name) is not None:
                values[f.name] = overrides[f.name]
        if isinstance(values.get("auto_index"), str):
            values["auto_index"] = _boolean(values["auto_index"], "auto_index")
        if values.get("embed_threads") is not None:
            values["embed_threads"] = _positive(values["embed_threads"], "embed_threads")
        if values.get("bilingual") is not None:
            values["bilingual"] = _dictionary(str(values["bilingual"]))
        if values.get("thesaurus") is not None:
            values["thesaurus"] = _wordnet(str(values["thesaurus"]))
        if values.get("thesaurus_ru") is not None:
            values["thesaurus_ru"] = _russian_thesaurus(str(values["thesaurus_ru"]))
        url = values.get("server_url")
        if url and not str(url).startswith(("http://", "https://")):
            raise ConfigError(
                f"{ENV_PREFIX}SERVER_URL: expected http://host:port or https://…, got {url!r}"
            )
        return cls(home=home, **values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.home / 'lexicon.sqlite3'}"

    @property
    def index_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def who(self) -> str:
        if self.author:
            return self.author
        import getpass

        try:
            return getpass.getuser()
        except Exception:  # no user database entry (containers): still record something
            return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _positive(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number < 1:
        raise ConfigError(f"{name}: expected a whole number of threads >= 1, got {value!r}")
    return number


def _dictionary(value: str) -> str:
    """``bilingual``: auto, off, or an existing dictd ``.index`` or ``.tsv`` file, checked when
    the settings load, so a wrong path stops every command rather than only the searches that
    would have needed the dictionary."""
    value = value.strip()
    if value in ("auto", "off"):
        return value
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"{ENV_PREFIX}BILINGUAL: no dictionary at {path}")
    if path.suffix not in (".index", ".tsv"):
        raise ConfigError(
            f"{ENV_PREFIX}BILINGUAL: {path} is neither a dictd .index nor a .tsv of pairs"
        )
    return str(path)


def _wordnet(value: str) -> str:
    """``thesaurus``: auto, off, or a directory holding WordNet's database files (data.noun
    and the rest), checked when the settings load, like the dictionary."""
    value = value.strip()
    if value in ("auto", "off"):
        return value
    path = Path(value).expanduser()
    if not (path / "data.noun").is_file():
        raise ConfigError(f"{ENV_PREFIX}THESAURUS: no WordNet database (data.noun) in {path}")
    return str(path)


def _russian_thesaurus(value: str) -> str:
    """``thesaurus_ru``: auto, off, or the path of a thesaurus file as wiki-ru-wordnet ships
    it, checked when the settings load."""
    value = value.strip()
    if value in ("auto", "off"):
        return value
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"{ENV_PREFIX}THESAURUS_RU: no thesaurus file at {path}")
    return str(path)


def _boolean(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")
