"""``fetch`` from Python: one awaitable call, no proxies to leak.

Awaiting the JS promise directly needs no ``create_proxy``; the answer comes
back as ``(status, text)``, or raises ``NetworkError`` when the request never
got an answer (server down, CORS refusal, abort).

The first GET of a URL that static/js/prefetch.mjs fetched during boot takes
that answer when app/prefetch.py says it may (same URL and token, a 200, not
stale); otherwise it asks the server as usual.
"""

from __future__ import annotations

from app import prefetch
from app.web.runtime import js, js_object


class NetworkError(Exception):
    pass


async def request(method: str, url: str, headers: dict | None = None, body: str | None = None) -> tuple[int, str]:
    if method.upper() == "GET":
        taken = await _prefetched(url, headers)
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


async def _prefetched(url: str, headers: dict | None) -> tuple[int, str] | None:
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
