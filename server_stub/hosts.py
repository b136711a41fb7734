"""Which ``Host`` a request may name: the stub's defence against DNS rebinding.

    python -m server_stub --host 0.0.0.0 --allow-host dispatch.example.com

A page on ``evil.example`` can make its own name resolve to 127.0.0.1 and
then call the stub "same-origin"; its requests still say
``Host: evil.example``. So every HTTP request and every WebSocket handshake
must name a host the stub knows, with any port: a loopback address
(``127.0.0.1`` and the rest of 127/8, ``[::1]``), ``localhost``, the address
given with ``--host`` (unless it is a wildcard such as 0.0.0.0), and each
``--allow-host NAME``. Anything else, a missing ``Host`` included, gets a
400 ``{"detail": ...}`` (a WebSocket handshake too, as an HTTP answer), and
the name is reported once on stderr with the flag that would allow it.
"""

from __future__ import annotations

import ipaddress
import re
import sys

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketClose

LOOPBACK_NAMES = frozenset({"localhost"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
NAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
MAX_NAME_CHARS = 253


class HostError(ValueError):
    """A ``--allow-host`` value that is not a host name or an IP address."""


def normalize_host(text: str) -> str | None:
    """A host name or IP literal, lowercased, brackets and a trailing dot dropped; None if not one."""
    name = text.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    name = name[:-1] if name.endswith(".") else name
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    return name if len(name) <= MAX_NAME_CHARS and NAME_RE.match(name) else None


def parse_hosts(values) -> tuple[str, ...]:
    """The ``--allow-host`` values, normalized and deduplicated (order kept); HostError otherwise."""
    seen: dict[str, None] = {}
    for value in values or ():
        name = normalize_host(value) if isinstance(value, str) else None
        if name is None:
            raise HostError(f"--allow-host takes a host name or an IP address (no scheme, no port), got {value!r}")
        seen[name] = None
    return tuple(seen)


def is_loopback(name: str) -> bool:
    """``localhost`` or a loopback IP address (127/8, ::1)."""
    name = normalize_host(name) or ""
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def allowed_names(bound: str, extra: tuple[str, ...]) -> frozenset[str]:
    """The names besides loopback that requests may give: the bound address (if specific) and ``extra``."""
    own = normalize_host(bound)
    return frozenset([*extra, *([own] if own and own not in WILDCARDS else [])])


def host_of(header: str | None) -> str | None:
    """The host part of a ``Host`` header (``name``, ``name:port``, ``[v6]:port``), normalized."""
    if not header:
        return None
    header = header.strip()
    if header.startswith("["):
        end = header.find("]")
        rest = header[end + 1:]
        if end < 0 or (rest and not re.fullmatch(r":[0-9]{1,5}", rest)):
            return None
        return normalize_host(header[:end + 1])
    name, _, port = header.partition(":")
    if port and not re.fullmatch(r"[0-9]{1,5}", port):
        return None
    return normalize_host(name)


_reported: set[str] = set()


class HostCheck:
    """ASGI middleware: refuse HTTP requests and WebSocket handshakes for an unknown ``Host``."""

    def __init__(self, app, allowed: frozenset[str]):
        self.app = app
        self.allowed = allowed

    def allows(self, scope) -> bool:
        header = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), None)
        name = host_of(header)
        if name is not None and (name in self.allowed or is_loopback(name)):
            return True
        shown = (header or "(none)")[:100]
        if shown not in _reported and len(_reported) < 100:
            _reported.add(shown)
            print(f"refused a request for Host {shown!r}: not loopback and not allowed (--allow-host NAME)",
                  file=sys.stderr, flush=True)
        return False

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or self.allows(scope):
            return await self.app(scope, receive, send)
        answer = JSONResponse({"detail": "unknown Host: this server answers only the names it was started "
                                         "for (--allow-host)"}, 400)
        if scope["type"] == "http":
            return await answer(scope, receive, send)
        websocket = WebSocket(scope, receive, send)
        if "websocket.http.response" in scope.get("extensions", {}):
            return await websocket.send_denial_response(answer)
        return await WebSocketClose(1008)(scope, receive, send)  # a server without denial answers: 403
