"""Every error the library raises on purpose, each with the CLI exit code and the HTTP status it
stands for: one table that the CLI, the server and the remote client all read.

Exit codes mean: 0 ok, 1 not found, conflict or a failure outside the caller's control,
2 bad input. Anything else is a bug. Over HTTP an error is an RFC 9457 problem whose ``code``
member names the class (``ERRORS``), so a remote client raises the same class the server did.
"""

from __future__ import annotations


class HyperlexiconError(Exception):
    """Base class: a message meant for a person, one line."""

    exit_code = 1
    status = 409
    code = "error"


class NotFoundError(HyperlexiconError):
    status = 404
    code = "not_found"


class ConflictError(HyperlexiconError):
    """The write was refused because the data changed under it (or already exists)."""

    status = 409
    code = "conflict"


class BadInputError(HyperlexiconError):
    """The input is wrong; nothing was changed."""

    exit_code = 2
    status = 422
    code = "bad_input"


class ConfigError(HyperlexiconError):
    """A setting, a URL or an installation that cannot work as given."""

    exit_code = 2
    status = 422
    code = "config"


class ForbiddenError(HyperlexiconError):
    """The caller's role may not do this (a server with tokens)."""

    exit_code = 2
    status = 403
    code = "forbidden"


class RateLimitError(HyperlexiconError):
    """Too much of something (feedback per user per hour, requests per token): try later."""

    status = 429
    code = "rate_limit"


class NotInitializedError(HyperlexiconError):
    """The database is not migrated to this code's schema."""

    status = 503
    code = "not_initialized"


class IndexBusyError(HyperlexiconError):
    """Another process holds the embedded index."""

    status = 503
    code = "index_busy"


class IndexDamagedError(HyperlexiconError):
    """Chroma cannot read its own files (a process died in the middle of a write)."""

    status = 503
    code = "index_damaged"


class IndexMismatchError(HyperlexiconError):
    """The collection was built with another embedder (or document schema)."""

    status = 503
    code = "index_mismatch"


class ConnectorError(HyperlexiconError):
    """Every connector of a chain failed."""

    status = 502
    code = "connector"


class ServerError(HyperlexiconError):
    """The server failed on its side (5xx) or could not be reached."""

    status = 502
    code = "server"


ERRORS: dict[str, type[HyperlexiconError]] = {
    cls.code: cls
    for cls in (
        HyperlexiconError,
        NotFoundError,
        ConflictError,
        BadInputError,
        ConfigError,
        ForbiddenError,
        RateLimitError,
        NotInitializedError,
        IndexBusyError,
        IndexDamagedError,
        IndexMismatchError,
        ConnectorError,
        ServerError,
    )
}

# statuses the HTTP layer answers with on its own (no library error behind them)
_BY_STATUS: dict[int, type[HyperlexiconError]] = {
    400: BadInputError,
    401: ForbiddenError,
    403: ForbiddenError,
    404: NotFoundError,
    405: BadInputError,
    409: ConflictError,
    412: ConflictError,
    413: BadInputError,
    415: BadInputError,
    422: BadInputError,
    428: ConflictError,
    429: RateLimitError,
}


def error_for(status: int, detail: str, code: str | None = None) -> HyperlexiconError:
    """The library error a problem stands for: by its ``code`` when it has one, else by its
    status (5xx and anything unknown: ``ServerError``)."""
    cls = ERRORS.get(code or "") or _BY_STATUS.get(status, ServerError)
    return cls(detail)
