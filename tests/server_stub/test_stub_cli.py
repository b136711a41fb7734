"""``python -m server_stub`` as a real process: the printed URL, real HTTP, a real WebSocket."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.asyncio.client import connect

from server_stub.__main__ import announce, parse_args
from server_stub.security import CONTROL_HEADER
from tests.e2e.harness import stop_process

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 15.0


def read_lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


@pytest.fixture
def server():
    """The stub on a free loopback port; yields its base URL; always killed."""
    proc = subprocess.Popen([sys.executable, "-m", "server_stub", "--port", "0", "--faults", "--seed", "5",
                             "--deliveries", "50", "--staff", "10", "--zones", "3", "--rate", "20"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        seen = []
        while True:
            line = lines.get(timeout=START_TIMEOUT)
            assert line is not None, f"the server exited early: {seen}"
            seen.append(line)
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                break
        assert found.group(1).startswith("http://127.0.0.1:")
        assert lines.get(timeout=5).strip() == 'demo login: user "demo", password "demo"'
        yield found.group(1)
    finally:
        stop_process(proc)


def test_a_real_server_answers_http_and_websocket(server):
    with httpx.Client(base_url=server, timeout=5) as http:
        token = http.post("api/login", json={"username": "demo", "password": "demo"}).json()["token"]
        snapshot = http.get("api/snapshot", headers={"Authorization": f"Bearer {token}"}).json()
        assert len(snapshot["deliveries"]) == 50 and isinstance(snapshot["seq"], int)
    ws_url = server.replace("http://", "ws://") + "ws"

    async def talk() -> None:
        async with connect(ws_url, open_timeout=5) as ws:
            await ws.send(json.dumps({"type": "auth", "token": token, "resumeFrom": None}))
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert welcome["type"] == "welcome" and welcome["resumed"] is False and welcome["epoch"]
            await ws.send(json.dumps({"type": "ping", "t": 7}))
            while (message := json.loads(await asyncio.wait_for(ws.recv(), 5)))["type"] != "pong":
                assert message["seq"] > welcome["seq"]  # live events from the simulation
            assert message == {"type": "pong", "t": 7}
            async with httpx.AsyncClient(base_url=server, timeout=5) as http:
                await http.post("_control/drop", json={"code": None}, headers=CONTROL_HEADER)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is None  # aborted: no close frame
            async with httpx.AsyncClient(base_url=server, timeout=5) as http:
                await http.post("_control/refuse", json={"seconds": 30}, headers=CONTROL_HEADER)
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with connect(ws_url, open_timeout=5):
                pass
        assert refused.value.response.status_code == 403

    # Its own thread: when the e2e tests ran first in this session, Playwright's
    # sync API keeps an event loop running in the main thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, talk()).result(timeout=60)


@pytest.mark.parametrize("argv", [["--deliveries", "100001"], ["--staff", "501"], ["--rate", "-1"], ["--port", "70000"]])
def test_the_cli_refuses_sizes_beyond_its_limits(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2 and "must be" in capsys.readouterr().err


def test_the_cli_defaults():
    settings = parse_args([])
    assert (settings.host, settings.port, settings.deliveries, settings.staff, settings.zones) == (
        "127.0.0.1", 8000, 300, 40, 8)
    assert (settings.rate, settings.replay_buffer, settings.faults, settings.token_ttl) == (3.0, 5000, False, 28800)
    assert parse_args(["--no-sim", "--deliveries", "10000", "--staff", "500"]).rate == 0


def test_start_up_lines_and_the_missing_runtime_warning(tmp_path, capsys):
    announce(parse_args(["--static-root", str(tmp_path), "--seed", "9"]), 9, "http://127.0.0.1:1234/")
    out, err = capsys.readouterr()
    assert re.search(r"listening on (http://\S+)", out).group(1) == "http://127.0.0.1:1234/"
    assert 'demo login: user "demo", password "demo"' in out.splitlines() and "seed 9" in out
    assert "python scripts/vendor.py" in err
