"""``fetch`` from Python: one awaitable call, no proxies to leak.

Awaiting the JS promise directly needs no ``create_proxy``; the answer comes
back as ``(status, text)``, or raises ``NetworkError`` when the request never
got an answer (server down, CORS refusal, abort).

The first GET of a URL that static/js/prefetch.mjs fetched during boot takes
that answer when app/prefetch.py says it may (same URL and token, a 200, not
stale); otherwise it asks the server as usual. ``prefetched`` takes it without
asking: app/web/main.py hands the boot's snapshot to the client that way,
before the socket opens.
"""

from __future__ import annotations

import asyncio

from app import prefetch
from app.web.runtime import js, js_object


class NetworkError(Exception):
    pass


async def request(method: str, url: str, headers: dict | None = None, body: str | None = None) -> tuple[int, str]:
    if method.upper() == "GET":
        taken = await prefetched(url, headers)
        if taken is not None:
            return taken
    options = {"method": method, "headers": js_object(dict(headers or {})), "cache": "no-store",
               "credentials": "omit"}
    if body is not None:
        options["body"] = body
    try:
        answer = await js.fetch(url, js_object(options))
        text = await answer.text()
    except Exception as exc:  # a JsException: the request got no answer
        raise NetworkError(str(exc)) from None
    return int(answer.status), str(text)


async def prefetched(url: str, headers: dict | None, wait_s: float | None = None) -> tuple[int, str] | None:
    """The boot's answer for ``GET url`` when it may be used (taken once), else None; None too when
    it is not in within ``wait_s`` (a prefetch that hangs must not hold the app back)."""
    if wait_s is not None:
        try:
            return await asyncio.wait_for(prefetched(url, headers), wait_s)
        except asyncio.TimeoutError:
            return None
    hub = getattr(js.globalThis, "dcPrefetch", None)
    if hub is None:
        return None
    absolute = str(js.URL.new(url, js.location.href).href)
    try:
        got = await hub.take(absolute)
    except Exception:  # a broken prefetch must never stop a request
        return None
    if got is None:
        return None
    found = prefetch.Prefetched(url=str(got.url), authorization=str(got.authorization) if got.authorization else None,
                                status=int(got.status), text=str(got.text), error=str(got.error),
                                age_ms=float(got.ageMs))
    verdict = prefetch.verdict(found, "GET", absolute, headers)
    hub.report(absolute, verdict)
    return (found.status, found.text) if verdict == "used" else None
