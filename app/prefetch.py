"""Whether a request may take the answer static/js/prefetch.mjs fetched during boot.

The page starts ``GET static/config.json`` and, for a returning user,
``GET {api}/snapshot`` before Python runs; app/web/http.py asks here whether
the first matching request (or app/web/main.py, for the snapshot it hands
the client before the socket opens) may use that answer instead of asking again.
"""

from __future__ import annotations

from dataclasses import dataclass

#: An older answer is asked for again. The client resumes the stream from the prefetched
#: snapshot's seq, so its age costs only a longer replay, until the server no longer keeps
#: that far back (then the welcome is not resumed and the snapshot is asked for again:
#: docs/PROTOCOL-NOTES.md). A cold boot on a cable line outlasted a 10 s limit, which
#: threw every such prefetch away (bench/README.md, "Figures behind the code").
MAX_AGE_MS = 30_000


@dataclass(frozen=True)
class Prefetched:
    url: str
    authorization: str | None
    status: int
    text: str
    error: str
    age_ms: float


def verdict(found: Prefetched | None, method: str, url: str, headers: dict | None) -> str:
    """``used``, or why not: ``other`` (not this request), ``failed`` (no 200), ``stale`` (too old)."""
    if found is None or method.upper() != "GET" or found.url != url:
        return "other"
    wanted = next((v for k, v in (headers or {}).items() if k.lower() == "authorization"), None)
    if (wanted or None) != (found.authorization or None):
        return "other"
    if found.error or found.status != 200:
        return "failed"
    if found.age_ms > MAX_AGE_MS:
        return "stale"
    return "used"
