"""``python -m server_stub``: run the stub on the loopback interface.

    python -m server_stub --port 0 --faults --seed 7
    python -m server_stub --allow-origin http://127.0.0.1:8080    # the app hosted on another origin
    python -m server_stub --certfile cert.pem --keyfile key.pem   # https:// and wss://
    python -m server_stub --host 0.0.0.0 --allow-host dispatch.example.com   # requests naming that host

Prints, flushed, once the socket accepts connections (tests parse the first):

    Delivery Coordinator stub listening on http://127.0.0.1:PORT/     (https:// with --certfile)
    demo login: user "demo", password "demo"
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from pathlib import Path

import uvicorn

from app.models import MAX_FRAME_BYTES

from .app import create_app
from .heap import COLLECTIONS, HeapKeeper, keep_frozen
from .hosts import is_loopback
from .settings import MAX_DELIVERIES, MAX_LOCATION_INTERVAL, MAX_STAFF, MAX_ZONES, REPO_ROOT, Settings, interval_ok
from .static import RUNTIME_MARKER, runtime_missing

def bounded(low: int, high: int):
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value
    return parse


def non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def interval(text: str) -> tuple[float, float]:
    """``MIN[-MAX]`` seconds: ``3`` is (3, 3), ``2-5`` is (2, 5), ``0`` is off."""
    low, dash, high = text.partition("-")
    try:
        pair = (float(low), float(high if dash else low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"MIN[-MAX] seconds, such as 2-5 or 0 (off), got {text!r}") from None
    if not interval_ok(pair):
        raise argparse.ArgumentTypeError(f"0 (off) or 0 < MIN <= MAX <= {MAX_LOCATION_INTERVAL:g}, got {text!r}")
    return pair


def parse_args(argv: list[str] | None = None) -> Settings:
    p = argparse.ArgumentParser(prog="python -m server_stub", description="Delivery Coordinator stub backend.")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=bounded(0, 65535), default=8000, help="0 picks a free port (default 8000)")
    p.add_argument("--deliveries", type=bounded(1, MAX_DELIVERIES), default=300)
    p.add_argument("--staff", type=bounded(1, MAX_STAFF), default=40)
    p.add_argument("--zones", type=bounded(1, MAX_ZONES), default=8)
    p.add_argument("--rate", type=non_negative, default=3.0, help="simulated events per second (default 3)")
    p.add_argument("--location-interval", type=interval, default=(2.0, 5.0), metavar="MIN[-MAX]",
                   help="seconds between one moving person's location events while the simulation runs "
                        "(default 2-5; 0 turns them off)")
    p.add_argument("--seed", type=int, default=None, help="world seed (default: random, printed)")
    p.add_argument("--replay-buffer", type=bounded(1, 1_000_000), default=5000,
                   help="events kept for resume (default 5000)")
    p.add_argument("--faults", action="store_true",
                   help="mount the /_control/ fault-injection routes (server_stub/README.md lists them; "
                        "each call needs the header X-DC-Control: 1)")
    p.add_argument("--faults-on-public-interface", action="store_true",
                   help="allow --faults with a --host that is not loopback (the routes need no login)")
    p.add_argument("--no-sim", action="store_true", help="start with the simulation stopped (rate 0)")
    p.add_argument("--token-ttl", type=positive, default=28_800.0,
                   help="token lifetime in seconds (default 28800, 8 h); /_control/token_ttl changes it at run time")
    p.add_argument("--protocol", type=int, choices=(1, 2), default=2,
                   help="PROTOCOL.md version to speak (default 2); 1: no epoch, no cause, no session refresh "
                        "(404), an auth on an open socket is a 4400, sockets are not closed at token expiry")
    p.add_argument("--static-root", type=Path, default=REPO_ROOT, help="where index.html, app/ and static/ are")
    p.add_argument("--site", type=Path, default=None, metavar="DIR",
                   help="serve DIR, a build of scripts/build.py, instead of the sources (as a host would)")
    p.add_argument("--bench-pages", type=Path, default=None, metavar="DIR",
                   help="also serve DIR at /bench/ (the benchmark's reference pages; off by default)")
    p.add_argument("--allow-origin", action="append", default=[], metavar="URL",
                   help="a page origin (http(s)://host[:port]) allowed to call /api and open /ws; repeatable")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="a host name requests may give in Host, besides loopback and --host; repeatable")
    p.add_argument("--certfile", type=Path, default=None, help="PEM certificate: serve https:// and wss://")
    p.add_argument("--keyfile", type=Path, default=None, help="PEM private key of --certfile")
    a = p.parse_args(argv)
    for path in (a.certfile, a.keyfile):
        if path is not None and not path.is_file():
            p.error(f"no such file: {path}")
    if a.site is not None and not (a.site / "BUILD-INFO.json").is_file():
        p.error(f"--site: {a.site} is not a build of scripts/build.py (no BUILD-INFO.json)")
    return Settings(host=a.host, port=a.port, deliveries=a.deliveries, staff=a.staff, zones=a.zones,
                    rate=0.0 if a.no_sim else a.rate, location_interval=a.location_interval, seed=a.seed, replay_buffer=a.replay_buffer,
                    faults=a.faults, token_ttl=a.token_ttl, protocol=a.protocol,
                    static_root=a.site or a.static_root, site=a.site is not None,
                    bench_pages=a.bench_pages, allow_origins=tuple(a.allow_origin), certfile=a.certfile,
                    keyfile=a.keyfile, allow_hosts=tuple(a.allow_host),
                    faults_on_public_interface=a.faults_on_public_interface)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, scheme: str = "http") -> str:
    host, port = sock.getsockname()[:2]
    return f"{scheme}://[{host}]:{port}/" if ":" in host else f"{scheme}://{host}:{port}/"


async def serve(settings: Settings) -> None:
    app = create_app(settings)
    stub = app.state.stub
    sock = bind(settings.host, settings.port)
    # ws_max_size: the protocol layer refuses a frame over 64 KiB from its header, before
    # reading it, and closes with 1009 (ws.py's own 4400 check is for in-process clients).
    config = uvicorn.Config(app, log_level="warning", ws="websockets-sansio", lifespan="on",
                            ws_max_size=MAX_FRAME_BYTES,
                            ssl_certfile=settings.certfile, ssl_keyfile=settings.keyfile)
    server = uvicorn.Server(config)
    freezer = asyncio.create_task(keep_frozen(HeapKeeper(every=COLLECTIONS)))  # heap.py: GC pauses
    try:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                return await task
            await asyncio.sleep(0.01)
        announce(settings, stub.seed, url_of(sock, "https" if settings.certfile else "http"))
        await task
    finally:
        freezer.cancel()


def announce(settings: Settings, seed: int, url: str) -> None:
    """The start-up lines: warnings on stderr, then what tests and people read on stdout."""
    if not settings.site and runtime_missing(settings.static_root):
        print(f"warning: the browser runtime is missing ({settings.static_root / RUNTIME_MARKER}); "
              "run `python scripts/vendor.py`", file=sys.stderr, flush=True)
    if settings.faults and not is_loopback(settings.host):
        print(f"warning: --faults on {settings.host} (--faults-on-public-interface): the /_control/ routes "
              "need no login", file=sys.stderr, flush=True)
    print(f"Delivery Coordinator stub listening on {url}", flush=True)
    print('demo login: user "demo", password "demo"', flush=True)
    print('second login: user "coordinator", password "coordinator"', flush=True)
    if settings.protocol != 2:
        print(f"speaking PROTOCOL.md version {settings.protocol} (--protocol)", flush=True)
    if settings.allow_hosts:
        print(f"hosts allowed besides loopback: {', '.join(settings.allow_hosts)}", flush=True)
    if settings.allow_origins:
        print(f"pages allowed from: {', '.join(settings.allow_origins)} (CORS on /api, Origin check on /ws)",
              flush=True)
    print(f"world: {settings.deliveries} deliveries, {settings.staff} staff, {settings.zones} zones, "
          f"seed {seed}, {settings.rate:g} events/s, locations {interval_text(settings)}{'; faults on /_control/' if settings.faults else ''}",
          flush=True)


def interval_text(settings: Settings) -> str:
    low, high = settings.location_interval
    if high == 0:
        return "off"
    return f"every {low:g}{'' if low == high else f'-{high:g}'} s"


def main(argv: list[str] | None = None) -> None:
    try:
        settings = parse_args(argv)
    except ValueError as exc:  # a Settings check argparse did not cover
        sys.exit(f"error: {exc}")
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
