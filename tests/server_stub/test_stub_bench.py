"""The stub's two small hooks for the benchmark (bench/): --bench-pages and the stream's ms ts."""

from __future__ import annotations

from datetime import datetime

from server_stub.testing import make_client


def test_bench_pages_are_served_only_when_asked(tmp_path):
    (tmp_path / "page.html").write_text("<p>bench</p>")
    (tmp_path / ".hidden").write_text("no")
    with make_client(bench_pages=tmp_path) as client:
        answer = client.get("/bench/page.html")
        assert answer.status_code == 200 and answer.text == "<p>bench</p>"
        assert answer.headers["cache-control"] == "no-cache"
        assert client.get("/bench/.hidden").status_code == 404
        assert client.get("/bench/missing.html").status_code == 404
        assert client.get("/bench/%2e%2e/server_stub/app.py").status_code == 404
    with make_client() as client:
        assert client.get("/bench/page.html").status_code == 404


def test_stream_events_carry_a_millisecond_ts(client, stub):
    event = stub.world.touch(1)[0]
    assert event.ts.endswith("Z") and len(event.ts.split(".")[1]) == 4  # "123Z"
    datetime.fromisoformat(event.ts)
