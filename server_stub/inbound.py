"""What every HTTP request must be before a route sees it: a clean path, a small and shallow body.

    app.add_middleware(RequestGuard)     # inside the CORS layer, so its refusals carry CORS headers

- A path with a control character (``/api/deliveries/%00``) is a 400: no
  route or file lookup ever sees a NUL (``Path.resolve`` raises on one).
- A body over ``MAX_BODY_BYTES`` (64 KiB; 1 MiB on the fault routes) is a 413: a ``Content-Length``
  over the limit is refused before a byte is read, and a chunked body is
  counted as it streams and refused as soon as it passes the limit.
  (Starlette's own ``max_body_size`` does the same counting, but answers in
  plain text from outside the CORS layer, and replaces any answer given
  inside it: a page on an allowed origin could not read its 413.)
- JSON nested deeper than ``MAX_JSON_DEPTH`` (brackets outside strings) is a
  400, before any parser recurses into it: ``json.loads`` of 10,000 levels
  raises ``RecursionError``. No request the stub takes nests beyond 4.

The body, read once (at most 64 KiB), is handed on to the route unchanged.
"""

from __future__ import annotations

import re

from starlette.responses import JSONResponse

MAX_BODY_BYTES = 64 * 1024
#: The fault routes (/_control/, only with --faults, behind their header) carry test frames that are
#: over 64 KiB on purpose (``raw``: the client must refuse them): they get more room, nothing else.
CONTROL_PREFIX = "/_control/"
MAX_CONTROL_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
BRACKETS = re.compile(rb"[\[\]{}]")


def json_depth(raw: bytes) -> int:
    """How deep ``[`` and ``{`` nest in ``raw``, strings left out; any bytes will do (no parsing)."""
    depth = deepest = 0
    for match in BRACKETS.finditer(JSON_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


class TooLarge(Exception):
    """The body passed ``MAX_BODY_BYTES``."""


def _has_body(scope) -> bool:
    return any(key in (b"content-length", b"transfer-encoding") for key, _ in scope.get("headers", ()))


def _declared_length(scope) -> int | None:
    """The ``Content-Length`` as a number; None when absent (uvicorn refuses a malformed one first)."""
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            return int(value) if value.strip().isdigit() else None
    return None


class RequestGuard:
    """ASGI middleware: 400 for a control character in the path or JSON nested too deep, 413 for a big body."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if CONTROL_CHARS.search(scope.get("path", "")):
            return await self._refuse(scope, receive, send, 400, "the path holds a control character")
        if not _has_body(scope):
            return await self.app(scope, receive, send)
        declared = _declared_length(scope)
        limit = MAX_CONTROL_BODY_BYTES if scope.get("path", "").startswith(CONTROL_PREFIX) else MAX_BODY_BYTES
        try:
            if declared is not None and declared > limit:
                raise TooLarge  # before reading a byte of it
            body, tail = await _read_body(receive, limit)
        except TooLarge:
            return await self._refuse(scope, receive, send, 413, f"the body is over {limit} bytes")
        if tail is not None:  # the client left mid-body: nothing to answer
            return
        if json_depth(body) > MAX_JSON_DEPTH:
            return await self._refuse(scope, receive, send, 400, f"the body nests deeper than {MAX_JSON_DEPTH} levels")
        handed = False

        async def replay():
            nonlocal handed
            if not handed:
                handed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope, receive, send, status: int, detail: str) -> None:
        await JSONResponse({"detail": detail}, status)(scope, receive, send)


async def _read_body(receive, limit: int = MAX_BODY_BYTES) -> tuple[bytes, dict | None]:
    """The whole body, and None; or what was read and the ``http.disconnect`` that cut it short."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > limit:  # as it streams: the rest is never read
            raise TooLarge
        if not message.get("more_body", False):
            return b"".join(chunks), None
