"""The app's own files, served from the same origin as the API (PROTOCOL.md 1 defaults).

    GET /                 -> index.html            (no-cache)
    GET /pyscript.toml    -> pyscript.toml         (no-cache)
    GET /app/**.py        -> app's Python modules  (no-cache: the browser revalidates)
    GET /static/**        -> static files; static/vendor/** is immutable for a year, except
                             the files scripts/snapshot.py makes there, which change in place

Every file carries an ETag and answers a matching If-None-Match with 304,
so a revalidation costs a round trip, not the file (the snapshot is 31 MB).

Compressible files (scripts/compress.py's list: text, wasm, the snapshot)
go out brotli- or gzip-encoded when the request's Accept-Encoding allows
(server_stub/encoding.py says where the bytes come from), always with
``Vary: Accept-Encoding``, and with one ETag per encoding (``"<tag>-br"``),
so a cache never answers a gzip-only client with brotli.

Anything else is a 404: server_stub/, tests/, .git, .venv, dotfiles and
non-.py files under app/ are never served. A path must resolve (symlinks
followed) inside the directory it names.

``--site DIR`` serves a build of scripts/build.py instead (what a host serves,
docs/HOSTING.md 1), with the build's cache rules: ``assets/`` and ``runtime/``
immutable, everything else (index.html, static/config.json) no-cache; the
build's own records (BUILD-INFO.json, _headers) and its precompressed copies
are not served as files.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from scripts import compress

from . import security
from .encoding import Encoder, accepted

NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
TYPES = {
    ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
    ".toml": "text/plain", ".py": "text/plain", ".json": "application/json", ".css": "text/css",
    ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon", ".txt": "text/plain",
    ".zip": "application/zip", ".whl": "application/zip", ".tar": "application/x-tar",
    ".map": "application/json", ".woff2": "font/woff2",
}
RUNTIME_MARKER = Path("static/vendor/pyodide/pyodide.mjs")
#: Made by scripts/snapshot.py, not fetched: remade in place when the runtime or the script changes.
GENERATED = {"static/vendor/pyodide/snapshot.bin", "static/vendor/pyodide/pycache.zip",
             "static/vendor/pyodide/snapshot.json"}


def _parts(path: str) -> list[str] | None:
    """The URL path's segments, or None when one is empty, a dot, a dotfile or holds a backslash."""
    parts = path.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") or "\\" in part for part in parts):
        return None
    return parts


def _file_inside(root: Path, path: str, base: Path) -> Path | None:
    """The file at ``path`` under ``root``, symlinks followed, if it is a file inside ``base``."""
    try:
        file = (root / path).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in the path
        return None
    return file if file.is_file() and file.is_relative_to(base.resolve()) else None


def resolve(root: Path, path: str) -> tuple[Path, str] | None:
    """The file for a URL path and its Cache-Control, or None if it is not to be served."""
    path = path or "index.html"
    parts = _parts(path)
    if parts is None:
        return None
    if path in ("index.html", "pyscript.toml"):
        base = root
    elif parts[0] == "app" and len(parts) > 1 and path.endswith(".py"):
        base = root / "app"
    elif parts[0] == "static" and len(parts) > 1:
        base = root / "static"
    else:
        return None
    file = _file_inside(root, path, base)
    if file is None:
        return None
    return file, IMMUTABLE if parts[:2] == ["static", "vendor"] and path not in GENERATED else NO_CACHE


#: The folders of a build named by their content's hash (docs/HOSTING.md 1): cached for good.
SITE_IMMUTABLE = ("assets", "runtime")
#: A build's records, not part of the site.
SITE_PRIVATE = {"BUILD-INFO.json", "_headers"}


def resolve_site(root: Path, path: str) -> tuple[Path, str] | None:
    """``resolve`` for a build folder (``--site``)."""
    path = path or "index.html"
    parts = _parts(path)
    if parts is None or path in SITE_PRIVATE or parts[-1].endswith((".br", ".gz")):
        return None
    file = _file_inside(root, path, root)
    if file is None:
        return None
    return file, IMMUTABLE if parts[0] in SITE_IMMUTABLE and len(parts) > 2 else NO_CACHE


def etag(file: Path) -> str:
    stat = file.stat()
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def matches(tag: str, if_none_match: str) -> bool:
    """Whether an If-None-Match header names ``tag`` (weak or strong, or ``*``)."""
    wanted = [item.strip().removeprefix("W/") for item in if_none_match.split(",")]
    return tag in wanted or "*" in wanted


async def answer(request: Request, file: Path, media_type: str, headers: dict, encoder: Encoder) -> Response:
    """The file, encoded when it pays and the request allows; 304 for a matching ETag."""
    tag, encoding, body = etag(file), None, None
    if compress.compressible(file.name):
        headers["Vary"] = "Accept-Encoding"
        for name in accepted(request.headers.get("accept-encoding")):
            body = await run_in_threadpool(encoder.body, file, name)
            if body is not None:
                encoding = name
                break
    if encoding is not None:
        tag = f'{tag[:-1]}-{encoding}"'
    headers["ETag"] = tag
    if matches(tag, request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    if encoding is None:
        return FileResponse(file, media_type=media_type, headers=headers)
    headers |= {"Content-Encoding": encoding, "Content-Length": str(len(body))}
    return Response(b"" if request.method == "HEAD" else body, media_type=media_type, headers=headers)


def runtime_missing(root: Path) -> bool:
    return not (root / RUNTIME_MARKER).is_file()


def mount(app: FastAPI, root: Path, site: bool = False) -> None:
    """Add the catch-all file route; call it last so /api, /ws and /_control win.
    ``site``: ``root`` is a build (``resolve_site``), not the sources."""
    root = root.resolve()
    encoder = Encoder()
    find = resolve_site if site else resolve

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def static_file(path: str, request: Request) -> Response:
        found = find(root, path)
        if found is None:
            raise HTTPException(404, "Not Found")
        file, cache = found
        media_type = TYPES.get(file.suffix.lower(), "application/octet-stream")
        headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
        if media_type == "text/html":  # the page's CSP and framing rules (security.py)
            headers |= security.html_headers(request.scope, root)
        return await answer(request, file, media_type, headers, encoder)

    @app.api_route("/{path:path}", methods=["POST", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False)
    async def not_here(path: str) -> None:
        """Other methods: 404 (not 405) so that, say, an unmounted /_control/ is simply absent;
        /api/ paths keep their 405 for a method they do not take."""
        if routed(app, f"/{path}"):
            raise HTTPException(405, "Method Not Allowed")
        raise HTTPException(404, "Not Found")


def mount_pages(app: FastAPI, prefix: str, directory: Path) -> None:
    """Serve the files of ``directory`` at ``/{prefix}/`` (no-cache): the opt-in
    ``--bench-pages`` of the benchmark. Call it before ``mount``."""
    directory = directory.resolve()
    encoder = Encoder()

    @app.api_route(f"/{prefix}/{{path:path}}", methods=["GET", "HEAD"], include_in_schema=False)
    async def page_file(path: str, request: Request) -> Response:
        if path == "" or path.endswith("/"):
            path += "index.html"
        parts = path.split("/")
        if any(part in ("", ".", "..") or part.startswith(".") or "\\" in part for part in parts):
            raise HTTPException(404, "Not Found")
        file = (directory / path).resolve()
        if not file.is_file() or not file.is_relative_to(directory):
            raise HTTPException(404, "Not Found")
        media_type = TYPES.get(file.suffix.lower(), "application/octet-stream")
        return await answer(request, file, media_type, {"Cache-Control": NO_CACHE}, encoder)


def routed(app: FastAPI, path: str) -> bool:
    """Whether a route other than these catch-alls serves ``path`` with some method."""
    scope = {"type": "http", "path": path, "method": "GET"}
    return any(route.matches(scope)[0] is not Match.NONE
               for route in app.router.routes if getattr(route, "path", None) != "/{path:path}")
