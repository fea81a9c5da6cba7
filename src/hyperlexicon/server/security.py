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

The rate limit is a token bucket per client. Several servers share it: in the database (a
``rate_bucket`` row per client, refilled and spent in one atomic statement, on the database's
clock), or in Redis (``HYPERLEXICON_REDIS_URL``; one Lua script, on Redis's clock). Which one
is ``HYPERLEXICON_RATE_STORE`` (``memory``, ``database`` or ``redis``); by default Redis when
its URL is set, else the database, except SQLite (one machine, and its single write lock,
which an import holds for minutes, would hold every request up), where it is this process's
memory. If the shared store cannot be reached, the server limits on its own until it can
again (and logs it): a limit per server rather than none.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..store import Store

log = logging.getLogger("hyperlexicon.security")

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
    """A token bucket per client: ``rate`` requests a second, bursts up to ``burst``; in this
    process's memory (the shared kinds below keep their buckets elsewhere)."""

    shared = "memory"

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

    def close(self) -> None:
        pass


class SharedRateLimiter(RateLimiter):
    """A bucket kept outside this process (``_spend``), with this process's own buckets to
    fall back on while the shared store cannot be reached."""

    def allow(self, key: str) -> tuple[bool, float]:
        try:
            allowed, tokens = self._spend(key)
        except Exception as exc:  # the database or Redis is away: limit here meanwhile
            self._complain(exc)
            return super().allow(key)
        return (True, 0.0) if allowed else (False, (1.0 - tokens) / self.rate)

    def _spend(self, key: str) -> tuple[bool, float]:
        """Refill and maybe spend one token, atomically: (allowed, tokens left)."""
        raise NotImplementedError

    _complained = 0.0

    def _complain(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._complained > 30:  # once in a while, not once a request
            self._complained = now
            log.warning(
                "rate limit: the %s cannot be reached (%s): limiting in this server alone",
                self.shared,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )


# One statement refills the bucket by the time since its last use (the database's clock),
# spends a token if there is one and says which; row locking serializes the servers.
_SQL_SPEND = {
    "postgresql": """
        INSERT INTO rate_bucket AS b (key, tokens, stamp, allowed)
        VALUES (:key, :burst - 1, extract(epoch from clock_timestamp()), true)
        ON CONFLICT (key) DO UPDATE SET
          tokens = least(:burst, b.tokens + greatest(0, excluded.stamp - b.stamp) * :rate)
                   - CASE WHEN least(:burst, b.tokens
                               + greatest(0, excluded.stamp - b.stamp) * :rate) >= :one
                          THEN 1 ELSE 0 END,
          allowed = least(:burst, b.tokens + greatest(0, excluded.stamp - b.stamp) * :rate)
                    >= :one,
          stamp = greatest(b.stamp, excluded.stamp)
        RETURNING allowed, tokens
    """,
    "sqlite": """
        INSERT INTO rate_bucket AS b (key, tokens, stamp, allowed)
        VALUES (:key, :burst - 1, (julianday('now') - 2440587.5) * 86400.0, 1)
        ON CONFLICT (key) DO UPDATE SET
          tokens = min(:burst, b.tokens + max(0, excluded.stamp - b.stamp) * :rate)
                   - CASE WHEN min(:burst, b.tokens
                               + max(0, excluded.stamp - b.stamp) * :rate) >= :one
                          THEN 1 ELSE 0 END,
          allowed = min(:burst, b.tokens + max(0, excluded.stamp - b.stamp) * :rate) >= :one,
          stamp = max(b.stamp, excluded.stamp)
        RETURNING allowed, tokens
    """,
}


class SqlRateLimiter(SharedRateLimiter):
    """The buckets in the ``rate_bucket`` table: every server on the database shares them."""

    shared = "database"

    def __init__(self, rate: float, burst: int, store: Store) -> None:
        super().__init__(rate, burst)
        from sqlalchemy import text

        dialect = store.engine.dialect.name
        if dialect not in _SQL_SPEND:
            raise ConfigError(
                f"HYPERLEXICON_RATE_STORE=database: not on {dialect} (PostgreSQL or SQLite); "
                "use redis or memory"
            )
        self.engine = store.engine
        self.statement = text(_SQL_SPEND[dialect])
        # a bucket's update need not wait for the disk: lost in a crash, it costs a client a
        # few requests' worth of limit; waiting for the WAL flush costs every request ~5 ms
        self.relaxed = (
            text("SET LOCAL synchronous_commit = off") if dialect == "postgresql" else None
        )

    def _spend(self, key: str) -> tuple[bool, float]:
        params = {"key": key[:200], "rate": self.rate, "burst": float(self.burst)}
        with self.engine.begin() as conn:  # one statement: committed at once
            if self.relaxed is not None:
                conn.execute(self.relaxed)
            allowed, tokens = conn.execute(self.statement, {**params, "one": 1.0 - 1e-6}).one()
        return bool(allowed), float(tokens)


# Redis's clock, so servers with skewed clocks agree; the key expires once a full bucket
# would have refilled, so idle clients cost nothing.
_LUA_SPEND = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(b[1]), tonumber(b[2])
if tokens == nil or stamp == nil then tokens, stamp = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local allowed = 0
if tokens >= 1 - 1e-6 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(math.max(now, stamp)))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisRateLimiter(SharedRateLimiter):
    """The buckets in Redis (``HYPERLEXICON_REDIS_URL``, the ``redis`` extra)."""

    shared = "Redis server"

    def __init__(
        self, rate: float, burst: int, url: str, prefix: str = "hyperlexicon:rate:"
    ) -> None:
        super().__init__(rate, burst)
        try:
            import redis
        except ImportError:
            raise ConfigError(
                "HYPERLEXICON_REDIS_URL needs the 'redis' extra: pip install 'hyperlexicon[redis]'"
            ) from None
        try:
            self.client: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        except ValueError as exc:
            raise ConfigError(f"HYPERLEXICON_REDIS_URL: {exc}") from None
        self.prefix = prefix
        self.script = self.client.register_script(_LUA_SPEND)

    def _spend(self, key: str) -> tuple[bool, float]:
        allowed, tokens = self.script(keys=[self.prefix + key], args=[self.rate, self.burst])
        return bool(int(allowed)), float(tokens)

    def close(self) -> None:
        self.client.close()


RATE_STORES = ("memory", "database", "redis")


def make_limiter(store: Store) -> RateLimiter:
    """The rate limiter the environment asks for (see the module's docstring)."""
    env = os.environ
    base = RateLimiter.from_env()
    redis_url = env.get("HYPERLEXICON_REDIS_URL", "").strip()
    kind = env.get("HYPERLEXICON_RATE_STORE", "").strip().lower()
    if not kind:
        if redis_url:
            kind = "redis"
        elif store.engine.dialect.name == "sqlite":
            kind = "memory"
        else:
            kind = "database"
    if kind not in RATE_STORES:
        raise ConfigError(f"HYPERLEXICON_RATE_STORE: one of {', '.join(RATE_STORES)}, not {kind!r}")
    if kind == "database":
        return SqlRateLimiter(base.rate, base.burst, store)
    if kind == "redis":
        if not redis_url:
            raise ConfigError("HYPERLEXICON_RATE_STORE=redis needs HYPERLEXICON_REDIS_URL")
        return RedisRateLimiter(base.rate, base.burst, redis_url)
    return base


def refusal(wait: float) -> tuple[str, int]:
    """What a refused request is told: the message and the ``Retry-After`` seconds.

    Both round the time until the next token *up*: to the hundredth in the message (a client
    at 20 requests a second usually waits under 0.05 s, which one decimal rounded down to
    "retry in 0.0 s") and to the whole second in ``Retry-After``, which HTTP counts in
    seconds; a client that waits what it is told is never refused again for it."""
    # less a hair of float noise, which must not round 0.0100000000004 up to 0.02
    shown = max(math.ceil(wait * 100 - 1e-9) / 100, 0.01)
    return f"rate limit reached: retry in {shown:g} s", max(1, math.ceil(wait - 1e-9))
