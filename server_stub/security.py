"""Who may call the stub from a browser, and the policy its pages run under.

    python -m server_stub --allow-origin http://127.0.0.1:8080    # the app hosted elsewhere

- **CORS on /api** (``ApiCors``): an origin given with ``--allow-origin`` gets
  ``Access-Control-Allow-Origin`` on its answers and a preflight answer for
  GET/POST/PATCH with the ``Authorization``, ``Content-Type`` and
  ``Idempotency-Key`` headers. Any other origin gets no CORS header, so the
  browser does not let its page read an answer (a preflight it asks for is
  answered 403). Same-origin pages need no CORS at all. No credentials:
  the app sends its token in a header, never in a cookie.
- **The WebSocket's Origin** (``websocket_origin_refused``): browsers do not
  apply CORS to WebSockets, so the server checks ``Origin`` itself. A socket
  from a page that is neither same-origin nor listed is closed before it is
  accepted (the client sees HTTP 403). A client that sends no ``Origin`` is
  not a browser page and is let through.
- **The fault-injection routes** (``ControlHeader``, with ``--faults``): a
  call to ``/_control/`` must carry ``X-DC-Control: 1``, else 403. A page on
  another site cannot send that header without a CORS preflight, which the
  stub never grants for ``/_control/``; so no web page can cut a tester's
  sockets or rewrite the world through their browser.
- **Content-Security-Policy** (``content_security_policy``): the page's
  policy; the stub sends it with ``html_headers`` on the app's HTML. The same
  policy, with the production origins, is in docs/HOSTING.md.

Origins compare as ``scheme://host[:port]`` with the scheme's default port
dropped and the host lowercased, so ``http://Example.com:80`` is
``http://example.com``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

#: Methods and request headers the app uses across origins (PROTOCOL.md 2).
CORS_METHODS = ("GET", "POST", "PATCH")
CORS_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key")
#: How long a browser may cache a preflight answer, in seconds.
PREFLIGHT_MAX_AGE = 600
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
#: What a host[:port] may look like before it goes into a header (no ; , space or quote).
HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")


class OriginError(ValueError):
    """A ``--allow-origin`` value that is not ``http(s)://host[:port]``."""


def normalize_origin(text: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """``scheme://host[:port]``, lowercased, default port dropped; OriginError otherwise."""
    parts = urlsplit(text.strip())
    if parts.scheme not in schemes or not parts.hostname:
        raise OriginError(f"an origin is {' or '.join(s + '://' for s in schemes)}host[:port], got {text!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise OriginError(f"an origin has no path, query, fragment or user, got {text!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise OriginError(f"bad port in {text!r}") from exc
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if not HOST_RE.match(host):
        raise OriginError(f"bad host in {text!r}")
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def parse_allowed(values) -> tuple[str, ...]:
    """The ``--allow-origin`` values, normalized and deduplicated (order kept)."""
    seen: dict[str, None] = {}
    for value in values or ():
        seen[normalize_origin(value)] = None
    return tuple(seen)


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def own_origin(scope) -> str | None:
    """The origin a request was made to: its scheme (ws -> http, wss -> https) and Host header."""
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
    host = _header(scope, b"host")
    if host is None and scope.get("server"):
        server_host, port = scope["server"][:2]
        host = f"[{server_host}]:{port}" if ":" in server_host else f"{server_host}:{port}"
    if not host or not HOST_RE.match(host):
        return None
    try:
        return normalize_origin(f"{scheme}://{host}")
    except OriginError:
        return None


def request_origin(scope) -> str | None:
    """The page's origin from the ``Origin`` header, normalized; ``"null"`` and junk stay as given."""
    origin = _header(scope, b"origin")
    if origin is None:
        return None
    try:
        return normalize_origin(origin)
    except OriginError:
        return origin


# --- CORS on /api ------------------------------------------------------------------------------


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class ApiCors:
    """ASGI middleware: CORS answers for the listed origins on /api, nothing for anyone else."""

    def __init__(self, app, allowed: tuple[str, ...]):
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not _is_api(scope.get("path", "")):
            return await self.app(scope, receive, send)
        origin = request_origin(scope)
        listed = origin is not None and origin in self.allowed
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method") is not None:
            return await self._preflight(scope, send, origin if listed else None)
        if not listed:
            return await self.app(scope, receive, send)

        async def send_with_cors(message):
            if message["type"] == "http.response.start":
                old = list(message.get("headers", ()))
                vary = [v for k, v in old if k.lower() == b"vary"]
                headers = [(k, v) for k, v in old if k.lower() not in (b"access-control-allow-origin", b"vary")]
                headers += [(b"access-control-allow-origin", origin.encode()),
                            (b"vary", b", ".join([*vary, b"Origin"]))]
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_cors)

    async def _preflight(self, scope, send, origin: str | None) -> None:
        method = (_header(scope, b"access-control-request-method") or "").strip()
        asked = [h.strip().lower() for h in (_header(scope, b"access-control-request-headers") or "").split(",")
                 if h.strip()]
        allowed_headers = {h.lower() for h in CORS_HEADERS} | {"accept", "accept-language", "content-language"}
        ok = origin is not None and method in CORS_METHODS and all(h in allowed_headers for h in asked)
        headers = [(b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
                   (b"content-length", b"0")]
        if ok:
            headers += [
                (b"access-control-allow-origin", origin.encode()),
                (b"access-control-allow-methods", ", ".join(CORS_METHODS).encode()),
                (b"access-control-allow-headers", ", ".join(CORS_HEADERS).encode()),
                (b"access-control-max-age", str(PREFLIGHT_MAX_AGE).encode()),
            ]
        await send({"type": "http.response.start", "status": 204 if ok else 403, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


# --- the fault-injection routes ---------------------------------------------------------------------

#: The header every /_control/ call carries (server_stub/testing.py and tests/e2e/harness.py send it).
CONTROL_HEADER = {"X-DC-Control": "1"}
CONTROL_PREFIX = "/_control"


class ControlHeader:
    """ASGI middleware: 403 for a /_control/ request without ``X-DC-Control: 1``."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        under = path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
        name, value = next(iter(CONTROL_HEADER.items()))
        if scope["type"] != "http" or not under or _header(scope, name.lower().encode()) == value:
            return await self.app(scope, receive, send)
        body = json.dumps({"detail": f"control calls need the header {name}: {value}"}).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


# --- the WebSocket's Origin ------------------------------------------------------------------------

_reported: set[str] = set()


def websocket_origin_refused(scope, allowed) -> str | None:
    """Why a WebSocket handshake must be refused, or None to let it in.

    No ``Origin``: not a browser page, let in. Same origin as the request, or
    listed with ``--allow-origin``: let in. Anything else (``null`` included)
    is refused; each refused origin is reported once on stderr.
    """
    origin = request_origin(scope)
    if origin is None or origin in allowed or origin == own_origin(scope):
        return None
    reason = f"origin {origin} is not this server's and not allowed (--allow-origin)"
    if origin not in _reported and len(_reported) < 100:
        _reported.add(origin)
        print(f"refused a WebSocket: {reason}"[:300], file=sys.stderr, flush=True)
    return reason


# --- Content-Security-Policy -------------------------------------------------------------------------


def content_security_policy(connect: list[str] | tuple[str, ...] = (), meta: bool = False,
                            images: list[str] | tuple[str, ...] = ()) -> str:
    """The app's policy; ``connect`` adds origins (API, WebSocket) beyond ``'self'``, ``images``
    the map's tile origin when ``static/config.json`` names one (``app.map_tiles``).

    ``meta=True`` leaves out ``frame-ancestors``, which a ``<meta>`` policy
    cannot carry (browsers ignore it there, with a console warning): for a
    host that cannot send headers, at the cost of framing protection.

    No ``'unsafe-inline'`` and no ``'unsafe-eval'``: the page has no inline
    script or style, Pyodide compiles its WebAssembly under
    ``'wasm-unsafe-eval'`` and evaluates no JavaScript text, and PyScript's
    one ``Function()`` on the main thread is avoided by
    static/js/pyscript-csp.mjs (docs/HOSTING.md).
    """
    sources = " ".join(["'self'", *dict.fromkeys(connect)])
    directives = [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        " ".join(["img-src 'self' data:", *dict.fromkeys(images)]),  # data:: the CSS's inline SVG icons
        f"connect-src {sources}",
        "base-uri 'none'",
        "object-src 'none'",
        "form-action 'self'",
    ]
    return "; ".join(directives if meta else [*directives, "frame-ancestors 'none'"])


def _configured_origins(static_root: Path) -> list[str]:
    """The API and WebSocket origins named in ``static/config.json`` (none when empty or unreadable)."""
    try:
        data = json.loads((static_root / "static" / "config.json").read_text())
    except (OSError, ValueError):
        return []
    found = []
    for key, schemes in (("api_base_url", ("http", "https")), ("ws_base_url", ("ws", "wss"))):
        value = data.get(key) if isinstance(data, dict) else None
        if isinstance(value, str) and value:
            parts = urlsplit(value)
            try:
                found.append(normalize_origin(f"{parts.scheme}://{parts.netloc}", schemes))
            except OriginError:
                continue
    return found


def configured_tile_origins(static_root: Path) -> list[str]:
    """The map's tile origin named in ``static/config.json`` (none when unset, unreadable or unusable)."""
    from app.map_tiles import TileConfigError, tile_source

    try:
        source = tile_source(json.loads((static_root / "static" / "config.json").read_text()))
    except (OSError, ValueError, TileConfigError):
        return []
    return [source.origin] if source is not None else []


def stub_connect_sources(scope, static_root: Path) -> list[str]:
    """What the stub's own pages may connect to besides ``'self'``: the WebSocket
    on this host (``ws://`` or ``wss://`` as the page's scheme) and the origins
    its ``static/config.json`` configures."""
    sources = []
    origin = own_origin(scope)
    if origin is not None:
        sources.append(origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1))
    return sources + _configured_origins(static_root)


def html_headers(scope, static_root: Path) -> dict[str, str]:
    """The headers every HTML page of the app is sent with."""
    return {
        "Content-Security-Policy": content_security_policy(stub_connect_sources(scope, static_root),
                                                           images=configured_tile_origins(static_root)),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }
