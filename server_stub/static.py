"""The app's own files, served from the same origin as the API (PROTOCOL.md 1 defaults).

    GET /                 -> index.html            (no-cache)
    GET /pyscript.toml    -> pyscript.toml         (no-cache)
    GET /app/**.py        -> app's Python modules  (no-cache: the browser revalidates)
    GET /static/**        -> static files; static/vendor/** is immutable for a year, except
                             the files scripts/snapshot.py makes there, which change in place

Every no-cache file carries an ETag and answers a matching If-None-Match
with 304, so a revalidation costs a round trip, not the file (the snapshot is
31 MB).

Anything else is a 404: server_stub/, tests/, .git, .venv, dotfiles and
non-.py files under app/ are never served. A path must resolve (symlinks
followed) inside the directory it names.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response
from starlette.routing import Match

from . import security

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


def resolve(root: Path, path: str) -> tuple[Path, str] | None:
    """The file for a URL path and its Cache-Control, or None if it is not to be served."""
    path = path or "index.html"
    parts = path.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") or "\\" in part for part in parts):
        return None
    if path in ("index.html", "pyscript.toml"):
        base = root
    elif parts[0] == "app" and len(parts) > 1 and path.endswith(".py"):
        base = root / "app"
    elif parts[0] == "static" and len(parts) > 1:
        base = root / "static"
    else:
        return None
    try:
        file = (root / path).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in the path
        return None
    if not file.is_file() or not file.is_relative_to(base.resolve()):
        return None
    return file, IMMUTABLE if parts[:2] == ["static", "vendor"] and path not in GENERATED else NO_CACHE


def etag(file: Path) -> str:
    stat = file.stat()
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def runtime_missing(root: Path) -> bool:
    return not (root / RUNTIME_MARKER).is_file()


def mount(app: FastAPI, root: Path) -> None:
    """Add the catch-all file route; call it last so /api, /ws and /_control win."""
    root = root.resolve()

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def static_file(path: str, request: Request) -> Response:
        found = resolve(root, path)
        if found is None:
            raise HTTPException(404, "Not Found")
        file, cache = found
        media_type = TYPES.get(file.suffix.lower(), "application/octet-stream")
        headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
        if media_type == "text/html":  # the page's CSP and framing rules (security.py)
            headers |= security.html_headers(request.scope, root)
        if cache == NO_CACHE:
            headers["ETag"] = etag(file)
            if headers["ETag"] in request.headers.get("if-none-match", ""):
                return Response(status_code=304, headers=headers)
        return FileResponse(file, media_type=media_type, headers=headers)

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

    @app.api_route(f"/{prefix}/{{path:path}}", methods=["GET", "HEAD"], include_in_schema=False)
    async def page_file(path: str) -> FileResponse:
        parts = path.split("/")
        if any(part in ("", ".", "..") or part.startswith(".") or "\\" in part for part in parts):
            raise HTTPException(404, "Not Found")
        file = (directory / path).resolve()
        if not file.is_file() or not file.is_relative_to(directory):
            raise HTTPException(404, "Not Found")
        media_type = TYPES.get(file.suffix.lower(), "application/octet-stream")
        return FileResponse(file, media_type=media_type, headers={"Cache-Control": NO_CACHE})


def routed(app: FastAPI, path: str) -> bool:
    """Whether a route other than these catch-alls serves ``path`` with some method."""
    scope = {"type": "http", "path": path, "method": "GET"}
    return any(route.matches(scope)[0] is not Match.NONE
               for route in app.router.routes if getattr(route, "path", None) != "/{path:path}")
