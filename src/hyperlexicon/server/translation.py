"""What REST and the WebSocket share about translating: who may use which connector, how an
image arrives, and the one shape a translation is answered in."""

from __future__ import annotations

from typing import Any

from ..errors import BadInputError, ForbiddenError
from .security import Principal

FREE_CONNECTORS = ("lexicon", "local", "saiga", "keywords")  # no per-call cost


def check_paid(who: Principal, connectors: list[str]) -> None:
    """Connectors that cost money per call are for admins only."""
    paid = [c for c in connectors if c not in FREE_CONNECTORS]
    if paid and not who.can("admin"):
        raise ForbiddenError(f"connectors that cost money ({', '.join(paid)}) need the admin role")


def translation(result: Any) -> dict[str, Any]:
    d = result.to_dict()
    return {
        "mode": d["mode"],
        "connector": d["connector"],
        "text": d["text"],
        "hyperstring": d["hyperstring"] or "",
        "scene": d["scene"],
        "unknown": d["unknown"],
        "failures": d["failures"],
        "usage": d["usage"],
        "note": (d["usage"] or {}).get("note"),
        "output": d.get("output") or "",
    }


IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def image_options(data: Any, media_type: Any) -> dict[str, Any]:
    """``image_base64`` and ``image_type`` of a message or request body, checked."""
    import base64
    import binascii

    if not isinstance(data, str):
        raise BadInputError("image_base64: the image as a base64 string")
    if media_type not in IMAGE_TYPES:
        raise BadInputError(f"image_type: one of {', '.join(IMAGE_TYPES)}")
    try:
        image = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadInputError("image_base64: not valid base64") from None
    if not image:
        raise BadInputError("image_base64: empty")
    return {"image": image, "image_type": media_type}
