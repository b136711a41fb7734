"""The app's files from the same origin: what is served, with which headers, and what never is."""

from __future__ import annotations

import pytest

from server_stub.testing import make_client

FILES = {
    "index.html": "<!doctype html>", "pyscript.toml": "name = 'x'", "app/__init__.py": "",
    "app/web/view.py": "x = 1", "app/notes.txt": "no", "static/config.json": "{}",
    "static/style.css": "p{}", "static/vendor/pyodide/pyodide.mjs": "export {}",
    "static/vendor/pyodide/pyodide.asm.wasm": "\0asm", "static/vendor/pyscript/core.js": "//",
    "static/vendor/pyodide/snapshot.bin": "\0snap", "static/vendor/pyodide/pycache.zip": "PK",
    "static/.secret": "no", "server_stub/app.py": "no", "tests/test_x.py": "no", ".git/config": "no",
    ".venv/pyvenv.cfg": "no", "README.md": "no",
}


@pytest.fixture
def site(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "static" / "escape.py").symlink_to(tmp_path / "server_stub" / "app.py")
    with make_client(static_root=tmp_path) as client:
        yield client


@pytest.mark.parametrize("path, kind, cache", [
    ("/", "text/html", "no-cache"),
    ("/index.html", "text/html", "no-cache"),
    ("/pyscript.toml", "text/plain", "no-cache"),
    ("/app/web/view.py", "text/plain", "no-cache"),
    ("/app/__init__.py", "text/plain", "no-cache"),
    ("/static/config.json", "application/json", "no-cache"),
    ("/static/style.css", "text/css", "no-cache"),
    ("/static/vendor/pyodide/pyodide.mjs", "text/javascript", "public, max-age=31536000, immutable"),
    ("/static/vendor/pyodide/pyodide.asm.wasm", "application/wasm", "public, max-age=31536000, immutable"),
    ("/static/vendor/pyscript/core.js", "text/javascript", "public, max-age=31536000, immutable"),
    # scripts/snapshot.py remakes these in place: the browser must revalidate them
    ("/static/vendor/pyodide/snapshot.bin", "application/octet-stream", "no-cache"),
    ("/static/vendor/pyodide/pycache.zip", "application/zip", "no-cache"),
])
def test_app_files_are_served_with_their_type_and_caching(site, path, kind, cache):
    answer = site.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == kind
    assert answer.headers["cache-control"] == cache


@pytest.mark.parametrize("path", [
    "/server_stub/app.py", "/tests/test_x.py", "/.git/config", "/.venv/pyvenv.cfg", "/README.md",
    "/app/notes.txt", "/static/.secret", "/static/escape.py", "/static/../server_stub/app.py",
    "/static/%2e%2e/server_stub/app.py", "/app/", "/static/", "/static/vendor/missing.js", "/api/nope",
])
def test_everything_else_is_404(site, path):
    assert site.get(path).status_code == 404


def test_a_revalidation_costs_a_round_trip_not_the_file(site, tmp_path):
    first = site.get("/static/vendor/pyodide/snapshot.bin")
    tag = first.headers["etag"]
    again = site.get("/static/vendor/pyodide/snapshot.bin", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    (tmp_path / "static/vendor/pyodide/snapshot.bin").write_text("\0snapshot, remade")
    remade = site.get("/static/vendor/pyodide/snapshot.bin", headers={"If-None-Match": tag})
    assert remade.status_code == 200 and remade.content == b"\0snapshot, remade" and remade.headers["etag"] != tag


def test_head_works(site):
    answer = site.head("/static/vendor/pyodide/pyodide.mjs")
    assert answer.status_code == 200 and answer.content == b""


def test_the_repository_itself_never_serves_its_server_or_tests():
    with make_client() as client:
        assert client.get("/app/models.py").status_code == 200
        for path in ("/server_stub/app.py", "/tests/server_stub/conftest.py", "/.gitignore", "/vendor.lock.json"):
            assert client.get(path).status_code == 404
