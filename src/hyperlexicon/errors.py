"""Errors the library raises on purpose, each with the CLI exit code it maps to.

Exit codes mean: 0 ok, 1 not found or conflict, 2 bad input. Anything else is a bug.
"""

from __future__ import annotations


class HyperlexiconError(Exception):
    """Base class: a message meant for a person, one line."""

    exit_code = 1


class NotFoundError(HyperlexiconError):
    exit_code = 1


class ConflictError(HyperlexiconError):
    """The write was refused because the data changed under it (or already exists)."""

    exit_code = 1


class BadInputError(HyperlexiconError):
    """The input is wrong; nothing was changed."""

    exit_code = 2


class ConfigError(HyperlexiconError):
    exit_code = 2


class ForbiddenError(HyperlexiconError):
    """The caller's role may not do this (a server with tokens)."""

    exit_code = 2
