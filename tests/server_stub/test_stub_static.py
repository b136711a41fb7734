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


# --- Content-Encoding (issue 13) -------------------------------------------------------------

BIG_TEXT = "export const rows = [" + ", ".join(f'"delivery {n}"' for n in range(3000)) + "];\n"


@pytest.fixture
def encoded_site(tmp_path, monkeypatch):
    """A site with a big compressible module, a zip, and a build-style precompressed sibling."""
    import random

    from server_stub import encoding

    cache = tmp_path / "cache"
    monkeypatch.setattr(encoding.compress, "CACHE", cache)
    monkeypatch.setattr(encoding.Encoder.__init__, "__defaults__", (cache,))
    files = {"index.html": "<!doctype html>" + "<p>board</p>" * 200, "static/js/big.mjs": BIG_TEXT,
             "static/vendor/pyodide/pyodide.asm.mjs": BIG_TEXT * 3, "static/css/built.css": "p{}" * 400}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "static/vendor/pyodide/stdlib.zip").write_bytes(random.Random(3).randbytes(4000))
    # As scripts/build.py writes it: the stub serves the sibling's bytes as they are.
    (tmp_path / "static/css/built.css.br").write_bytes(__import__("brotli").compress(b"p{}" * 400))
    with make_client(static_root=tmp_path) as client:
        yield client, tmp_path


def test_brotli_when_accepted_gzip_when_only_gzip_is_and_neither_when_refused(encoded_site):
    import gzip

    import brotli

    client, root = encoded_site
    raw = (root / "static/js/big.mjs").read_bytes()
    br = client.get("/static/js/big.mjs", headers={"Accept-Encoding": "gzip, br"})
    assert br.headers["content-encoding"] == "br" and br.headers["vary"] == "Accept-Encoding"
    assert br.content == raw  # httpx decoded it
    assert int(br.headers["content-length"]) < len(raw) / 5
    with client.stream("GET", "/static/js/big.mjs", headers={"Accept-Encoding": "br"}) as wire:
        assert brotli.decompress(b"".join(wire.iter_raw())) == raw  # the bytes on the wire are brotli
    gz = client.get("/static/js/big.mjs", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and gz.content == raw
    with client.stream("GET", "/static/js/big.mjs", headers={"Accept-Encoding": "gzip"}) as wire:
        assert gzip.decompress(b"".join(wire.iter_raw())) == raw
    for refusal in ("identity", "br;q=0, gzip;q=0", ""):
        plain = client.get("/static/js/big.mjs", headers={"Accept-Encoding": refusal})
        assert "content-encoding" not in plain.headers, refusal
        assert plain.headers["vary"] == "Accept-Encoding" and plain.content == raw
    star = client.get("/static/js/big.mjs", headers={"Accept-Encoding": "*"})
    assert star.headers["content-encoding"] == "br"
    prefer_gzip = client.get("/static/js/big.mjs", headers={"Accept-Encoding": "br;q=0.5, gzip"})
    assert prefer_gzip.headers["content-encoding"] == "gzip"


def test_each_encoding_has_its_own_etag_and_a_matching_one_gets_304(encoded_site):
    client, _ = encoded_site
    tags = {}
    for accept in ("br", "gzip", "identity"):
        first = client.get("/static/vendor/pyodide/pyodide.asm.mjs", headers={"Accept-Encoding": accept})
        tags[accept] = first.headers["etag"]
        again = client.get("/static/vendor/pyodide/pyodide.asm.mjs",
                           headers={"Accept-Encoding": accept, "If-None-Match": tags[accept]})
        assert again.status_code == 304 and again.content == b"" and again.headers["vary"] == "Accept-Encoding"
    assert len(set(tags.values())) == 3
    assert tags["br"].endswith('-br"') and tags["gzip"].endswith('-gzip"')
    # A cache holding the brotli copy must not get a 304 for a gzip-only request.
    crossed = client.get("/static/vendor/pyodide/pyodide.asm.mjs",
                         headers={"Accept-Encoding": "gzip", "If-None-Match": tags["br"]})
    assert crossed.status_code == 200 and crossed.headers["content-encoding"] == "gzip"


def test_what_does_not_compress_goes_out_as_it_is(encoded_site):
    client, root = encoded_site
    answer = client.get("/static/vendor/pyodide/stdlib.zip", headers={"Accept-Encoding": "br, gzip"})
    assert "content-encoding" not in answer.headers
    assert answer.content == (root / "static/vendor/pyodide/stdlib.zip").read_bytes()
    (root / "static/config.json").write_text('{"api_base_url": ""}')
    small = client.get("/static/config.json", headers={"Accept-Encoding": "br"})
    assert "content-encoding" not in small.headers and small.headers["vary"] == "Accept-Encoding"


def test_a_precompressed_sibling_is_served_and_the_vendor_cache_is_filled_once(encoded_site):
    client, root = encoded_site
    sibling = (root / "static/css/built.css.br").read_bytes()
    answer = client.get("/static/css/built.css", headers={"Accept-Encoding": "br"})
    assert answer.headers["content-encoding"] == "br"
    assert int(answer.headers["content-length"]) == len(sibling) and answer.content == b"p{}" * 400
    client.get("/static/vendor/pyodide/pyodide.asm.mjs", headers={"Accept-Encoding": "br"})
    cached = list((root / "cache").iterdir())
    assert [p.suffix for p in cached] == [".br"]  # the big file, encoded once, kept on disk


def test_the_page_itself_is_compressed_and_keeps_its_security_headers(encoded_site):
    client, _ = encoded_site
    page = client.get("/", headers={"Accept-Encoding": "br"})
    assert page.headers["content-encoding"] == "br" and page.text.startswith("<!doctype html>")
    assert "content-security-policy" in page.headers and page.headers["cache-control"] == "no-cache"
    head = client.head("/static/js/big.mjs", headers={"Accept-Encoding": "br"})
    assert head.status_code == 200 and head.content == b"" and head.headers["content-encoding"] == "br"


def test_the_apis_json_is_gzipped_when_accepted_and_plain_when_not():
    import gzip

    with make_client() as client:
        token = client.post("/api/login", json={"username": "demo", "password": "demo"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        with client.stream("GET", "/api/snapshot", headers=auth | {"Accept-Encoding": "gzip"}) as wire:
            assert wire.headers["content-encoding"] == "gzip" and "Accept-Encoding" in wire.headers["vary"]
            raw = b"".join(wire.iter_raw())
        plain = client.get("/api/snapshot", headers=auth | {"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert gzip.decompress(raw) == plain.content and len(raw) < len(plain.content) / 3


# --- --site: a build of scripts/build.py, served as a host would (docs/HOSTING.md 1) ---------------

BUILD = {
    "index.html": "<!doctype html>", "static/config.json": "{}", "BUILD-INFO.json": "{}", "_headers": "/*",
    "assets/abc123/pyscript.toml": "name = 'x'", "assets/abc123/app/client.py": "x = 1",
    "assets/abc123/static/app.css": "p{}", "runtime/def456/pyodide/pyodide.mjs": "export {}",
    "runtime/def456/pyodide/pyodide.mjs.br": "br", "assets/.hidden": "no", "assets/loose.txt": "top of assets",
}


@pytest.fixture
def built(tmp_path):
    for name, text in BUILD.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "assets" / "abc123" / "escape.txt").symlink_to(tmp_path.parent)
    with make_client(static_root=tmp_path, site=True) as client:
        yield client


@pytest.mark.parametrize("path, kind, cache", [
    ("/", "text/html", "no-cache"),
    ("/static/config.json", "application/json", "no-cache"),
    ("/assets/abc123/pyscript.toml", "text/plain", "public, max-age=31536000, immutable"),
    ("/assets/abc123/app/client.py", "text/plain", "public, max-age=31536000, immutable"),
    ("/assets/abc123/static/app.css", "text/css", "public, max-age=31536000, immutable"),
    ("/runtime/def456/pyodide/pyodide.mjs", "text/javascript", "public, max-age=31536000, immutable"),
    ("/assets/loose.txt", "text/plain", "no-cache"),  # not inside a hashed folder
])
def test_a_build_is_served_with_its_cache_rules(built, path, kind, cache):
    answer = built.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == kind
    assert answer.headers["cache-control"] == cache


@pytest.mark.parametrize("path", [
    "/BUILD-INFO.json", "/_headers", "/runtime/def456/pyodide/pyodide.mjs.br", "/assets/.hidden",
    "/assets/abc123/escape.txt", "/assets/abc123/../../x", "/app/client.py", "/static/vendor/pyodide/pyodide.mjs",
])
def test_a_build_serves_nothing_else(built, path):
    assert built.get(path).status_code == 404


def test_site_needs_a_build():
    from server_stub.__main__ import parse_args  # noqa: PLC0415
    with pytest.raises(SystemExit):
        parse_args(["--site", "/nonexistent-build"])
