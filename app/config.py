"""Where the backend is, and who we are: PROTOCOL.md section 1, as pure functions.

The browser shell gathers the raw inputs (the page URL, the query, the
optional ``static/config.json``) and asks this module; nothing here touches
the browser, so the rules are tested under CPython.

    >>> resolve_endpoints("http://127.0.0.1:8000/?x=1", None).ws_url
    'ws://127.0.0.1:8000/ws'

A link is not trusted: its ``?api=``/``?ws=`` count only for the page's own
origin or one of config.json's ``trusted_origins``, and its timings only
within ``TIMING_BOUNDS``. What a link asked for and did not get is ignored
and listed in ``Endpoints.notices`` for the page to show; a link never stops
the page. A mistake in config.json (the host's own file) is a ConfigError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

#: Defaults of PROTOCOL.md section 3, overridable for tests through the query
#: (``?heartbeatMs=500``): a shortened clock, never a different protocol.
DEFAULT_TIMINGS = {
    "heartbeatMs": 15_000,
    "deadAfterMs": 35_000,
    "backoffBaseMs": 1_000,
    "commandTimeoutMs": 10_000,
    "slowRetryMs": 60_000,  # offline: a slow try every minute, +-20% (PROTOCOL.md 3)
}

#: What a link may set each timing to, inclusive. Never above the contract's
#: default (only a shorter clock), never so short that the app stops working:
#: ``?commandTimeoutMs=1&deadAfterMs=1`` failed every change and made the
#: socket flap. The end-to-end tests' clock (heartbeat 500, dead after 2000,
#: backoff 200, commands 3000) is inside. ``deadAfterMs`` must also be at
#: least ``DEAD_AFTER_HEARTBEATS`` heartbeats, or an idle socket is declared
#: dead between two pongs.
TIMING_BOUNDS = {
    "heartbeatMs": (500, 15_000),
    "deadAfterMs": (2_000, 35_000),
    "backoffBaseMs": (100, 1_000),
    "commandTimeoutMs": (2_000, 10_000),
    "slowRetryMs": (1_000, 60_000),
}
DEAD_AFTER_HEARTBEATS = 2


#: View sizes, overridable the same way (``?pageRows=20``): how many deliveries
#: the table lays out before "Show more" (``app/web/panels/deliveries/``).
#: 100 rows is four or five screens; every live move re-lays out the window, so
#: a wider one costs more per event (measured: bench/README.md, "Figures behind the code").
DEFAULT_VIEW = {
    "pageRows": 100,
}
#: The most rows a link may ask the table to lay out at once.
VIEW_BOUNDS = {"pageRows": (1, 10_000)}

#: An endpoint a link may name: scheme, a plain host (letters, digits, dots,
#: dashes, or an IPv6 literal), an optional port, then a path or nothing. No
#: user info, no backslash, no whitespace or percent-escape in the host: where
#: Python's and the browser's URL parsers could disagree about the host, the
#: URL is refused, not guessed (``http://evil\\@trusted`` is evil to a browser).
LINK_URL = re.compile(r"^(?P<scheme>(?i:https?|wss?))://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)"
                      r"(?::(?P<port>[0-9]{1,5}))?(?P<path>/[\x21-\x5b\x5d-\x7e]*)?\Z")
#: ws and wss endpoints belong to the origin of the same host and port over http and https.
HTTP_SCHEME = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
DEFAULT_PORTS = {"http": 80, "https": 443}
#: How much of a refused value a notice repeats.
NOTICE_VALUE_CHARS = 160


class ConfigError(ValueError):
    """The configured endpoints cannot be used; the page shows this text."""


@dataclass(frozen=True)
class Endpoints:
    api_base: str
    ws_url: str
    source: str  # "query", "config.json" or "origin": shown in diagnostics
    timings: dict = field(default_factory=lambda: dict(DEFAULT_TIMINGS))
    view: dict = field(default_factory=lambda: dict(DEFAULT_VIEW))
    #: What the link asked for and did not get, one sentence each, for the page to show.
    notices: tuple[str, ...] = ()


def _query(page_url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(page_url).query).items()}


def _check(api: str, ws: str, page_scheme: str) -> None:
    api_scheme, ws_scheme = urlsplit(api).scheme, urlsplit(ws).scheme
    if api_scheme not in ("http", "https") or not urlsplit(api).netloc:
        raise ConfigError(f"API endpoint must be an absolute http(s) URL, got {api!r}")
    if ws_scheme not in ("ws", "wss") or not urlsplit(ws).netloc:
        raise ConfigError(f"WebSocket endpoint must be an absolute ws(s) URL, got {ws!r}")
    if page_scheme == "https" and (api_scheme != "https" or ws_scheme != "wss"):
        raise ConfigError(
            f"this page is served over https, so it will not use {api if api_scheme != 'https' else ws}: "
            "configure https:// and wss:// endpoints"
        )


def _shown(value: str) -> str:
    """A value from a link, cut short, for a notice (the page sets it as text, never HTML)."""
    value = "".join(c if c.isprintable() else "?" for c in value)
    return value if len(value) <= NOTICE_VALUE_CHARS else value[:NOTICE_VALUE_CHARS] + "…"


def origin_of(url: str) -> str | None:
    """``http(s)://host[:port]`` of an endpoint (ws -> http, wss -> https), or None if it is not plain.

    Only URLs matching ``LINK_URL`` have an origin here; the host is
    lowercased and the scheme's default port dropped, so two spellings of one
    origin compare equal.
    """
    match = LINK_URL.match(url)
    if match is None:
        return None
    scheme = HTTP_SCHEME[match["scheme"].lower()]
    host = match["host"].lower()
    port = int(match["port"]) if match["port"] else DEFAULT_PORTS[scheme]
    if not 0 < port < 65536 or host.strip(".") == "":
        return None
    return f"{scheme}://{host}" if port == DEFAULT_PORTS[scheme] else f"{scheme}://{host}:{port}"


def trusted_origins(config_json: dict | None) -> frozenset[str]:
    """config.json's ``trusted_origins``, normalized; ConfigError for anything but a list of origins."""
    values = (config_json or {}).get("trusted_origins", [])
    if values is None:
        return frozenset()
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError("static/config.json trusted_origins must be a list of origins like \"https://api.example.com\"")
    out = set()
    for value in values:
        match = LINK_URL.match(value)
        origin = origin_of(value) if match and (match["path"] or "/") == "/" else None
        if origin is None:
            raise ConfigError(f"static/config.json trusted_origins: {value!r} is not an origin "
                              "(scheme://host[:port], nothing after it)")
        out.add(origin)
    return frozenset(out)


def _link_endpoints(query: dict[str, str], page_origin: str | None, page_scheme: str, trusted: frozenset[str]):
    """``(api, ws)`` from the link if both are given and trusted; else None and the notice why."""
    api, ws = query.get("api", ""), query.get("ws", "")
    if not (api or ws):
        return None, None
    if not (api and ws):
        return None, "Ignored the server address in this link: it must give both api and ws."
    allowed = trusted | ({page_origin} if page_origin else set())
    for name, value in (("api", api), ("ws", ws)):
        origin = origin_of(value)
        if origin is None or origin not in allowed:
            where = origin or "an address that is not a plain URL"
            return None, (f"Ignored the server address in this link ({name}: {_shown(where)}): it is neither "
                          "this page's origin nor a trusted one, so your sign-in stays with this dashboard's server.")
    try:
        _check(api.rstrip("/"), ws, page_scheme)
    except ConfigError as exc:
        return None, f"Ignored the server address in this link: {_shown(str(exc))}"
    return (api, ws), None


def _bounded(query: dict[str, str], defaults: dict, bounds: dict) -> tuple[dict, list[str]]:
    """``defaults`` with the query's whole numbers for their names where inside ``bounds``; notices for the rest."""
    out, notices = dict(defaults), []
    for name in defaults:
        if name not in query:
            continue
        low, high = bounds[name]
        text = query[name].strip()
        value = int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None
        if value is None or not low <= value <= high:
            # Echo a number, never free text: a link must not put its own words on the dashboard.
            shown = f"{name}={text}" if re.fullmatch(r"-?[0-9.e+]{1,24}", text) else f"a {name} that is not a number"
            notices.append(f"Ignored {shown} in this link: it must be a whole number "
                           f"from {low} to {high}; using {defaults[name]}.")
            continue
        out[name] = value
    return out, notices


def _link_timings(query: dict[str, str]) -> tuple[dict, list[str]]:
    timings, notices = _bounded(query, DEFAULT_TIMINGS, TIMING_BOUNDS)
    if timings["deadAfterMs"] < DEAD_AFTER_HEARTBEATS * timings["heartbeatMs"]:
        notices.append(f"Ignored deadAfterMs={timings['deadAfterMs']} in this link: it must be at least "
                       f"{DEAD_AFTER_HEARTBEATS} heartbeats ({DEAD_AFTER_HEARTBEATS * timings['heartbeatMs']} ms); "
                       f"using {DEFAULT_TIMINGS['deadAfterMs']}.")
        timings["deadAfterMs"] = DEFAULT_TIMINGS["deadAfterMs"]
    return timings, notices


def resolve_endpoints(page_url: str, config_json: dict | None) -> Endpoints:
    """First hit wins: the link's trusted ``api``/``ws``, then ``static/config.json``, then the page origin."""
    parts = urlsplit(page_url)
    query = _query(page_url)
    timings, notices = _link_timings(query)
    view, view_notices = _bounded(query, DEFAULT_VIEW, VIEW_BOUNDS)
    page_origin = f"{parts.scheme}://{parts.netloc}"
    linked, why = _link_endpoints(query, origin_of(page_origin), parts.scheme, trusted_origins(config_json))
    notices += [why] if why else []
    if linked:
        (api, ws), source = linked, "query"
    elif config_json and (config_json.get("api_base_url") or config_json.get("ws_base_url")):
        api = config_json.get("api_base_url") or ""
        ws = config_json.get("ws_base_url") or ""
        if not (isinstance(api, str) and isinstance(ws, str) and api and ws):
            raise ConfigError("static/config.json must name both api_base_url and ws_base_url")
        source = "config.json"
    else:
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        api, ws, source = f"{page_origin}/api", f"{ws_scheme}://{parts.netloc}/ws", "origin"
    api = api.rstrip("/")
    _check(api, ws, parts.scheme)
    return Endpoints(api_base=api, ws_url=ws, source=source, timings=timings, view=view,
                     notices=tuple(notices + view_notices))


def token_from_fragment(fragment: str) -> str | None:
    """``#token=...`` (PROTOCOL.md 1); other fragment keys are left alone."""
    for pair in fragment.lstrip("#").split("&"):
        key, _, value = pair.partition("=")
        if key == "token" and value:
            return unquote(value)
    return None


def fragment_without_token(fragment: str) -> str:
    """The fragment with ``token=`` removed, so the token does not stay in the address bar."""
    kept = [pair for pair in fragment.lstrip("#").split("&") if pair and not pair.startswith("token=")]
    return ("#" + "&".join(kept)) if kept else ""
