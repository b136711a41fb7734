"""Where the backend is, and who we are: PROTOCOL.md section 1, as pure functions.

The browser shell gathers the raw inputs (the page URL, the query, the
optional ``static/config.json``) and asks this module; nothing here touches
the browser, so the rules are tested under CPython.

    >>> resolve_endpoints("http://127.0.0.1:8000/?x=1", None).ws_url
    'ws://127.0.0.1:8000/ws'
"""

from __future__ import annotations

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


#: View sizes, overridable the same way (``?pageRows=20``): how many deliveries
#: the table lays out before "Show more" (``app/web/panels/deliveries.py``).
#: 100 rows is four or five screens; at 1,000 events/s over 10,000 deliveries,
#: a window of 300 had a p95 of 206 ms and long tasks 54% of the time, 100 had
#: 132 ms and 28% (bench/README.md): every live move re-lays out the window.
DEFAULT_VIEW = {
    "pageRows": 100,
}


class ConfigError(ValueError):
    """The configured endpoints cannot be used; the page shows this text."""


@dataclass(frozen=True)
class Endpoints:
    api_base: str
    ws_url: str
    source: str  # "query", "config.json" or "origin": shown in diagnostics
    timings: dict = field(default_factory=lambda: dict(DEFAULT_TIMINGS))
    view: dict = field(default_factory=lambda: dict(DEFAULT_VIEW))


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


def _whole_numbers(query: dict[str, str], defaults: dict, what: str) -> dict:
    """``defaults`` with the positive whole numbers the query gives for their names."""
    out = dict(defaults)
    for name in defaults:
        if name in query:
            try:
                out[name] = max(1, int(query[name]))
            except ValueError as exc:
                raise ConfigError(f"query parameter {name} must be {what}") from exc
    return out


def resolve_endpoints(page_url: str, config_json: dict | None) -> Endpoints:
    """First hit wins: query ``api``/``ws``, then ``static/config.json``, then the page origin."""
    parts = urlsplit(page_url)
    query = _query(page_url)
    timings = _whole_numbers(query, DEFAULT_TIMINGS, "a whole number of ms")
    view = _whole_numbers(query, DEFAULT_VIEW, "a whole number")
    if query.get("api") or query.get("ws"):
        if not (query.get("api") and query.get("ws")):
            raise ConfigError("give both the api and ws query parameters, or neither")
        api, ws, source = query["api"], query["ws"], "query"
    elif config_json and (config_json.get("api_base_url") or config_json.get("ws_base_url")):
        api = config_json.get("api_base_url") or ""
        ws = config_json.get("ws_base_url") or ""
        if not (api and ws):
            raise ConfigError("static/config.json must name both api_base_url and ws_base_url")
        source = "config.json"
    else:
        origin = f"{parts.scheme}://{parts.netloc}"
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        api, ws, source = f"{origin}/api", f"{ws_scheme}://{parts.netloc}/ws", "origin"
    api = api.rstrip("/")
    _check(api, ws, parts.scheme)
    return Endpoints(api_base=api, ws_url=ws, source=source, timings=timings, view=view)


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
