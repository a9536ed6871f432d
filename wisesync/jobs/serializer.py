"""Job payloads as JSON, never pickle.

Huey pickles its messages by default, and unpickling runs code: whoever can write to the queue
(a Redis reachable from a neighbour, a writable instance folder) could then run anything in the
worker. Wise-Sync's tasks take plain values (ids, names), so the message is written as JSON;
reading it builds back only what a Huey message holds — the message tuple, dates, durations,
tuples — and nothing else. Enqueueing anything that is not a plain value fails at once.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from huey.registry import Message
from huey.serializer import Serializer


def _encode(value):
    if isinstance(value, Message):
        return {"__huey_message__": [_encode(v) for v in value]}
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, timedelta):
        return {"__timedelta__": value.total_seconds()}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value) or any(k.startswith("__") for k in value):
            raise TypeError("job arguments: dictionary keys must be plain strings")
        return {k: _encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"job arguments must be plain values (ids, names), not {type(value).__name__}")


def _decode(value: dict):
    if len(value) == 1:
        (tag, inner), = value.items()
        if tag == "__huey_message__":
            return Message(*inner)
        if tag == "__datetime__":
            return datetime.fromisoformat(inner)
        if tag == "__timedelta__":
            return timedelta(seconds=inner)
        if tag == "__tuple__":
            return tuple(inner)
    return value


class JsonSerializer(Serializer):
    """Huey's serializer with JSON in place of pickle (compression options unchanged)."""

    def _serialize(self, data) -> bytes:
        return json.dumps(_encode(data), separators=(",", ":")).encode("utf-8")

    def _deserialize(self, data: bytes):
        return json.loads(data.decode("utf-8"), object_hook=_decode)
