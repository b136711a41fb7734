"""A state-changing call, run at most once per (user, ``Idempotency-Key``), with its cause.

    status, body, replayed = execute(stub, "U-demo", "k-1", fingerprint("PATCH", path, raw), run)

``run(cause)`` makes the change and returns ``(status, answer)``; the event it
records carries ``cause`` (PROTOCOL.md 2: the key and the user), so the client
that sent the key, and only it, can confirm its command from the stream.
rest.py calls this for PATCH /deliveries/{id} and POST /communications;
faults.py calls it for a change "made by another user". The lookup, the
change and the remembering happen with no ``await`` between them, so two
concurrent retries cannot both change the world.
"""

from __future__ import annotations

import json
from typing import Callable

from app.models import Cause, MAX_KEY_CHARS

from .idempotency import KeyReused
from .world import Refused

Run = Callable[[Cause | None], tuple[int, dict]]


def fingerprint(method: str, path: str, raw: bytes) -> str:
    """What one request asks for: the same key with another fingerprint is a 422."""
    return f"{method} {path} {canonical(raw)}"


def canonical(raw: bytes) -> str:
    try:
        return json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        return raw.decode("utf-8", "replace")


def execute(stub, user_id: str, key: str | None, print_: str, run: Run) -> tuple[int, bytes, bool]:
    """Answer a command: ``(status, JSON body, replayed)``. A known key gets its first
    answer back, byte for byte, and changes nothing; refusals are remembered too."""
    if key is not None and not 1 <= len(key) <= MAX_KEY_CHARS:
        return 422, _json({"detail": f"Idempotency-Key must be 1 to {MAX_KEY_CHARS} characters"}), False
    if key is not None:
        try:
            hit = stub.answers.lookup((user_id, key), print_)
        except KeyReused:
            return 422, _json({"detail": "this Idempotency-Key was used for a different request"}), False
        if hit is not None:
            return hit[0], hit[1], True
    try:
        status, answer = run(stub.dialect.cause(key, user_id))
    except Refused as exc:
        status, answer = exc.status, {"detail": exc.detail}
    else:
        if key is not None:
            stub.applied.add(user_id, key)
    body = _json(answer)
    if key is not None:
        stub.answers.remember((user_id, key), print_, status, body)
    return status, body, False


def _json(answer: dict) -> bytes:
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
