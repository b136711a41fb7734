"""bench/beside.py: a frame's age, the bare client on a real loopback socket, its line, its bounds."""

import asyncio
import doctest
import json
import time
from datetime import datetime, timezone

import pytest
from websockets.asyncio.server import serve

import bench.beside as module


def test_doctests_hold():
    assert doctest.testmod(module).failed == 0


def test_only_location_events_have_an_age_and_bad_frames_say_so():
    assert module.latency_ms('{"type": "pong", "t": 1}', 0.0) is None
    assert module.latency_ms("[1, 2]", 0.0) is None
    with pytest.raises(ValueError):
        module.latency_ms("not json", 0.0)


def test_the_client_authenticates_first_and_keeps_the_age_of_each_location_event():
    got: list = []

    async def server(ws):
        got.append(json.loads(await ws.recv()))
        sent = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        await ws.send(json.dumps({"type": "welcome", "seq": 0, "epoch": "e", "resumed": False}))
        await ws.send(json.dumps({"type": "staff_location_update", "seq": 1, "staffId": "S-1",
                                  "location": {"lat": 1, "lon": 2, "at": sent}}))
        await ws.send(json.dumps({"type": "delivery_update", "seq": 2, "deliveryId": "D-1", "changes": {}}))
        await asyncio.sleep(2)

    async def run():
        async with serve(server, "127.0.0.1", 0) as listening:
            port = listening.sockets[0].getsockname()[1]
            return await module.listen(f"ws://127.0.0.1:{port}", "t0ken", 0.6)

    started = time.monotonic()
    ages = asyncio.run(run())
    assert got == [{"type": "auth", "token": "t0ken", "resumeFrom": None}]
    assert len(ages) == 1 and 0 <= ages[0] < 1000
    assert time.monotonic() - started < 5  # it listens for its seconds, not until the server closes


def test_rounds_and_windows_are_bounded_before_anything_starts(capsys):
    for bad in (["--rounds", "0"], ["--rounds", "21"], ["--window", "0.5"], ["--window", "61"]):
        with pytest.raises(SystemExit):
            module.main(bad)
        assert "--rounds is 1 to 20" in capsys.readouterr().err
