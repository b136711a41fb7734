"""The security policy a build carries with it (docs/HOSTING.md 2): a ``<meta>`` in
``index.html`` for what a page can declare itself, a ``_headers`` file for what only a
server can send.

    sources = connect_sources(json.loads(config_json), ["https://api.example.com"])
    html = with_policy_meta(index_html, sources)    # CSP and referrer policy, first in <head>
    headers = headers_file()                        # Netlify / Cloudflare Pages style

The policy itself is ``server_stub.security.content_security_policy``, the
one the stub sends as a header: one home for its directives. ``connect-src``
is ``'self'`` plus the API and WebSocket origins of ``static/config.json``
and its ``trusted_origins`` at build time, plus any ``--connect-src``. The
meta is static text in the built page: no query parameter, and no script of
the page, changes it (a link's ``?api=`` outside these origins is ignored by
the app, and would be refused by the browser anyway).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from server_stub.security import OriginError, content_security_policy, normalize_origin  # noqa: E402

HEADERS_FILE = "_headers"
SCHEMES = ("http", "https", "ws", "wss")
#: An http(s) origin's WebSocket twin and back: a trusted origin serves both.
TWIN = {"http": "ws", "https": "wss", "ws": "http", "wss": "https"}
#: Nothing of these is used by the dashboard: refused for it and anything it embeds.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
    "microphone", "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "usb", "xr-spatial-tracking",
))
#: One year, this host only. includeSubDomains and preload are the host's decision (docs/HOSTING.md).
HSTS = "max-age=31536000"
#: What only a server can send, for every file of the build.
SERVER_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",  # the one directive a <meta> cannot carry
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Strict-Transport-Security": HSTS,  # browsers ignore it over plain http
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": PERMISSIONS_POLICY,
}
#: Paths and their Cache-Control (BUILD-INFO.json's "cache" says the same).
CACHE_RULES = (
    ("/", "no-cache"),
    ("/index.html", "no-cache"),
    ("/static/config.json", "no-cache"),
    ("/assets/*", "public, max-age=31536000, immutable"),
    ("/runtime/*", "public, max-age=31536000, immutable"),
)
META_CHARSET = re.compile(r"<meta\s+charset=[\"']?utf-8[\"']?\s*/?>", re.IGNORECASE)


class PolicyError(ValueError):
    """A connect-src origin that cannot go into the policy, with what to write instead."""


def _origin(value: str, where: str) -> str:
    try:
        return normalize_origin(value.rstrip("/"), SCHEMES)
    except OriginError as exc:
        raise PolicyError(f"{where}: {exc}") from None


def _endpoint_origin(value: str, where: str) -> str:
    """The origin of an endpoint URL (it may have a path): ``scheme://host[:port]``."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)", value)
    return _origin(match[1] if match else value, where)


def _twin(origin: str) -> str:
    scheme, rest = origin.split("://", 1)
    return f"{TWIN[scheme]}://{rest}"


def connect_sources(config: dict, extra=()) -> list[str]:
    """The origins beyond ``'self'`` the page may connect to, in a stable order.

    config.json's ``api_base_url`` and ``ws_base_url`` (each as given), its
    ``trusted_origins`` (each with its WebSocket or http twin, since a link may
    name either endpoint there) and ``extra`` (``--connect-src``, as given).
    """
    found: list[str] = []
    for key in ("api_base_url", "ws_base_url"):
        value = config.get(key)
        if isinstance(value, str) and value:
            found.append(_endpoint_origin(value, f"static/config.json {key}"))
    trusted = config.get("trusted_origins") or []
    if not isinstance(trusted, list):
        raise PolicyError("static/config.json trusted_origins must be a list of origins")
    for value in trusted:
        origin = _origin(str(value), "static/config.json trusted_origins")
        found += [origin, _twin(origin)]
    found += [_origin(value, "--connect-src") for value in extra]
    return list(dict.fromkeys(found))


def image_sources(config: dict) -> list[str]:
    """The map's tile origin (``static/config.json`` ``map_tiles``, ``app.map_tiles``), if any: ``img-src``."""
    from app.map_tiles import TileConfigError, tile_source

    try:
        source = tile_source(config)
    except TileConfigError as exc:
        raise PolicyError(f"static/config.json {exc}") from None
    return [source.origin] if source is not None else []


def policy_meta(sources, images=()) -> str:
    """The ``<meta>`` tags: the CSP (all but frame-ancestors) and the referrer policy."""
    policy = content_security_policy(list(sources), meta=True, images=list(images))
    if any(c in policy for c in "\"<>&"):
        raise PolicyError(f"refusing a policy with HTML in it: {policy!r}")
    return (f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
            f'  <meta name="referrer" content="no-referrer">')


def with_policy_meta(html: str, sources, images=()) -> str:
    """``html`` with the policy right after ``<meta charset>``: before anything it governs.

    A meta policy covers only what comes after it, so it must precede every
    script, style and link; ``<meta charset>`` must stay in the first 1024
    bytes, so it stays first. Refuses a page that already declares a policy
    (two hand-kept copies would drift).
    """
    if re.search(r"http-equiv=[\"']?content-security-policy", html, re.IGNORECASE):
        raise PolicyError("index.html already has a Content-Security-Policy <meta>: the build adds it")
    match = META_CHARSET.search(html)
    head = re.search(r"<head[^>]*>", html, re.IGNORECASE)
    anchor = match or head
    if anchor is None:
        raise PolicyError("index.html has no <head> to put the Content-Security-Policy in")
    before = html[:anchor.start()]
    if re.search(r"<(script|link|style|base|img)\b", before, re.IGNORECASE):
        raise PolicyError("index.html loads something before <meta charset>: the policy would not cover it")
    return html[:anchor.end()] + "\n  " + policy_meta(sources, images) + html[anchor.end():]


def headers_file() -> bytes:
    """``_headers`` for hosts that read one (Netlify, Cloudflare Pages): what a <meta> cannot say."""
    lines = ["# Made by scripts/build.py: headers only a server can send (docs/HOSTING.md 2).",
             "# The rest of the Content-Security-Policy is the <meta> in index.html.", "/*"]
    lines += [f"  {name}: {value}" for name, value in SERVER_HEADERS.items()]
    for path, cache in CACHE_RULES:
        lines += [path, f"  Cache-Control: {cache}"]
    return ("\n".join(lines) + "\n").encode()
