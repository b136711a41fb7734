"""``fetch`` from Python: one awaitable call, no proxies to leak.

Awaiting the JS promise directly needs no ``create_proxy``; the answer comes
back as ``(status, text)``, or raises ``NetworkError`` when the request never
got an answer (server down, CORS refusal, abort).
"""

from __future__ import annotations

from app.web.runtime import js, js_object


class NetworkError(Exception):
    pass


async def request(method: str, url: str, headers: dict | None = None, body: str | None = None) -> tuple[int, str]:
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
