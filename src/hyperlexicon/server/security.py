"""Who may do what: bearer tokens with roles, a per-token rate limit, a body size cap.

Bound to 127.0.0.1 with no tokens configured, the server serves the local user with every
role. Configure tokens with ``HYPERLEXICON_API_TOKENS`` (``token=role,token=role``; a role may
carry a name: ``token=editor:alice``) or ``tokens.json`` in the home directory
(``{"token": {"role": "admin", "name": "ops"}}``, mode 0600). With tokens configured, every
request needs ``Authorization: Bearer <token>``; bound to any address other than loopback,
the server refuses to start without them.

Roles: ``reader`` (reads, search, encode, decode), ``editor`` (+ entries, feedback,
proposals), ``admin`` (+ import, rollback, calibrate, index rebuild, connectors that cost
money).
"""

from __future__ import annotations

import hmac
import json
import math
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

ROLES = ("reader", "editor", "admin")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


LOCAL = Principal("local", "admin")


def load_tokens(home: Path, env: str | None = None) -> dict[str, Principal]:
    """Tokens from the environment and from ``tokens.json`` (which must be 0600)."""
    tokens: dict[str, Principal] = {}
    value = env if env is not None else os.environ.get("HYPERLEXICON_API_TOKENS", "")
    for n, item in enumerate(p.strip() for p in value.split(",") if p.strip()):
        token, sep, role = item.partition("=")
        role, _, name = role.partition(":")
        if not sep or role not in ROLES or len(token) < 16:
            raise ConfigError(
                f"HYPERLEXICON_API_TOKENS item {n + 1}: expected token=role with a role of "
                f"{', '.join(ROLES)} and a token of 16 characters or more"
            )
        tokens[token] = Principal(name or f"{role}-{n + 1}", role)
    path = home / "tokens.json"
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(
                f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}"
            )
        try:
            data = json.loads(path.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{exc.lineno}: {exc.msg}") from None
        for token, spec in data.items():
            role = spec.get("role") if isinstance(spec, dict) else spec
            if role not in ROLES or len(token) < 16:
                raise ConfigError(
                    f"{path}: token entries need a role ({', '.join(ROLES)}) and 16+ characters"
                )
            name = spec.get("name", role) if isinstance(spec, dict) else role
            tokens[token] = Principal(name, role)
    return tokens


def check_binding(host: str, tokens: dict[str, Principal]) -> None:
    if host not in LOOPBACK and not tokens:
        raise ConfigError(
            f"refusing to serve on {host} without tokens: set HYPERLEXICON_API_TOKENS or "
            "create tokens.json (mode 0600) in the home directory, or bind to 127.0.0.1"
        )


def authenticate(header: str | None, tokens: dict[str, Principal]) -> Principal | None:
    """The principal for an Authorization header; LOCAL when no tokens are configured."""
    if not tokens:
        return LOCAL
    if not header or not header.startswith("Bearer "):
        return None
    given = header.removeprefix("Bearer ").strip()
    for token, principal in tokens.items():
        if hmac.compare_digest(token, given):
            return principal
    return None


class RateLimiter:
    """A token bucket per client: ``rate`` requests a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        if not (math.isfinite(rate) and rate > 0) or burst < 1:
            # a zero rate divides by zero on the first refusal; a burst under one refuses all
            raise ConfigError(
                f"rate limit: HYPERLEXICON_RATE must be above 0 (got {rate}) and "
                f"HYPERLEXICON_BURST at least 1 (got {burst})"
            )
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, rate: float = 20, burst: int = 60) -> RateLimiter:
        """``HYPERLEXICON_RATE`` (requests a second) and ``HYPERLEXICON_BURST``, or these."""
        raw_rate = os.environ.get("HYPERLEXICON_RATE", str(rate))
        raw_burst = os.environ.get("HYPERLEXICON_BURST", str(burst))
        try:
            return cls(float(raw_rate), int(raw_burst))
        except ValueError:
            raise ConfigError(
                f"rate limit: HYPERLEXICON_RATE must be a number (got {raw_rate!r}) and "
                f"HYPERLEXICON_BURST a whole number (got {raw_burst!r})"
            ) from None

    def allow(self, key: str) -> tuple[bool, float]:
        """(allowed, seconds to wait if not)."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0 - 1e-6:  # float noise must not refuse a client that waited
                self._buckets[key] = (tokens - 1.0, now)
                return True, 0.0
            self._buckets[key] = (tokens, now)
            return False, (1.0 - tokens) / self.rate


def refusal(wait: float) -> tuple[str, int]:
    """What a refused request is told: the message and the ``Retry-After`` seconds.

    Both round the time until the next token *up*: to the hundredth in the message (a client
    at 20 requests a second usually waits under 0.05 s, which one decimal rounded down to
    "retry in 0.0 s") and to the whole second in ``Retry-After``, which HTTP counts in
    seconds; a client that waits what it is told is never refused again for it."""
    # less a hair of float noise, which must not round 0.0100000000004 up to 0.02
    shown = max(math.ceil(wait * 100 - 1e-9) / 100, 0.01)
    return f"rate limit reached: retry in {shown:g} s", max(1, math.ceil(wait - 1e-9))
