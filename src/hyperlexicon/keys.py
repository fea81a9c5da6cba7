"""API keys for connectors: the environment first, then ``keys.json`` in the home directory.

The file is created with mode 0600 and refused if anyone but its owner can read it. Keys are
read only by the connector that needs them; they are never written to the database, the logs,
exports, error messages or ``--json`` output (connectors scrub them from errors).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from .errors import BadInputError, ConfigError, NotFoundError

FILE = "keys.json"


class KeyStore:
    def __init__(self, home: Path) -> None:
        self.path = Path(home) / FILE

    def _read(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(
                f"{self.path} is readable by others (mode {mode:o}); run: chmod 600 {self.path}"
            )
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ConfigError(f"{self.path}: not a JSON object of name → key") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{self.path}: not a JSON object of name → key")
        return {str(k): str(v) for k, v in data.items()}

    def _write(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def set(self, name: str, value: str) -> None:
        name, value = name.strip(), value.strip()
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise BadInputError(f"key name {name!r}: letters, digits, '-' and '_'")
        if not value or any(ch.isspace() for ch in value):
            raise BadInputError("the key is empty or contains whitespace")
        data = self._read()
        data[name] = value
        self._write(data)

    def remove(self, name: str) -> None:
        data = self._read()
        if name not in data:
            raise NotFoundError(f"no key named {name!r} in {self.path}")
        del data[name]
        self._write(data)

    def names(self) -> list[str]:
        return sorted(self._read())

    def get(self, name: str, *, env: str | None = None) -> str | None:
        for var in (env, f"HYPERLEXICON_KEY_{name.upper().replace('-', '_')}"):
            if var and os.environ.get(var):
                return os.environ[var]
        return self._read().get(name)
