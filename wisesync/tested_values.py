"""A stored connectivity result belongs to the exact values it tested.

Beside each stored result (a per-user PSA test, the Integration Settings' Test and Save) we
keep :func:`seal` of what was tested: public values as they are (member ID, company ID, site
— they are shown on the pages anyway) and secrets only as an HMAC keyed with the app's
``SECRET_KEY``, so the database never holds anything that could be checked offline against
a guessed password. When the page is drawn, :func:`changed` compares the seal with the
values as they are now and names what differs, so a result of other values is shown as
"tested with the previous member password" instead of as current.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app

_PURPOSE = b"wisesync tested-values v1\0"


def _mac(name: str, value: str) -> str:
    key = hashlib.sha256(_PURPOSE + str(current_app.config["SECRET_KEY"]).encode()).digest()
    return hmac.new(key, f"{name}\0{value}".encode(), hashlib.sha256).hexdigest()


def seal(public: dict[str, str], secrets: dict[str, str | None]) -> dict:
    """What to store beside a result: ``{"public": {...}, "secrets": {name: hmac}}``.

    A secret that is ``None`` or empty (nothing stored yet) is kept as ``""`` so that setting
    one later counts as a change.
    """
    return {"public": {name: value or "" for name, value in public.items()},
            "secrets": {name: _mac(name, value) if value else "" for name, value in secrets.items()}}


def changed(sealed: dict | None, public: dict[str, str], secrets: dict[str, str | None],
            labels: dict[str, str]) -> list[str] | None:
    """Labels (from ``labels``, in its order) of the values that differ from ``sealed``.

    ``[]`` means the result is of exactly these values; ``None`` means the result carries no
    seal (stored before seals existed), so nothing can be said and it counts as outdated.
    """
    if not isinstance(sealed, dict):
        return None
    now = seal(public, secrets)
    then_public, then_secrets = sealed.get("public") or {}, sealed.get("secrets") or {}
    out = []
    for name, label in labels.items():
        if name in public:
            differs = (then_public.get(name) or "") != now["public"][name]
        elif name in secrets:
            differs = not hmac.compare_digest(str(then_secrets.get(name) or ""), now["secrets"][name])
        else:
            continue
        if differs and label not in out:
            out.append(label)
    return out


def tested_public(sealed: dict | None, name: str) -> str:
    """A public value as it was tested ("" when unknown): pages may say "tested as jdoe"."""
    if not isinstance(sealed, dict):
        return ""
    return str((sealed.get("public") or {}).get(name) or "")
