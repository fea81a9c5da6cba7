"""Registers the built-in formats through the same hook plugins use."""

from __future__ import annotations

from typing import Any

from ..hookspecs import hookimpl


@hookimpl
def register_formats(register: Any) -> None:
    from . import builtin_formats

    for fmt in builtin_formats():
        register(fmt)
