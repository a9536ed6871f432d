"""Sections other features add to the user edit page (PSA credentials, QLink).

A feature calls :func:`register_section` from its ``register(app)``; the users edit view
renders ``sections_for(user, viewer)`` in order. The context function does the queries, so
templates stay free of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Section:
    template: str
    context: Callable  # (user, viewer) -> dict, or None to hide the section
    order: int = 100


_sections: dict[str, Section] = {}


def register_section(template: str, context: Callable, order: int = 100) -> None:
    _sections[template] = Section(template, context, order)  # idempotent per template


def sections_for(user, viewer) -> list[tuple[str, dict]]:
    out = []
    for section in sorted(_sections.values(), key=lambda s: s.order):
        ctx = section.context(user, viewer)
        if ctx is not None:
            out.append((section.template, ctx))
    return out
