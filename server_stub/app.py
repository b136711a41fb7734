"""``create_app(settings)``: the FastAPI application that wires the stub together.

    from fastapi.testclient import TestClient
    with TestClient(create_app(Settings(seed=1, rate=0))) as client:   # lifespan runs
        client.post("/api/login", json={"username": "demo", "password": "demo"})

``app.state.stub`` holds the running parts (a ``Stub``): tests reach the
world through it.

Every request passes, outermost first: the ``Host`` check (hosts.py), with
``--faults`` the ``X-DC-Control`` check (security.py), CORS (security.py),
then the path and body guard (inbound.py: 64 KiB, JSON depth, NUL).
An exception a route did not expect is still a 500, as JSON, with the
traceback on stderr: the fuzz test (tests/server_stub/test_stub_fuzz.py)
looks for any. The simulation task starts with the app's lifespan and
idles at rate 0; use the TestClient as a context manager so that sockets,
tasks and requests share one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from dataclasses import dataclass, field
from typing import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from . import faults, hosts, logout, rest, security, static, ws
from .auth import Tokens
from .dialect import Dialect
from .encoding import ApiGzip
from .hub import Hub, Stats
from .idempotency import Answers, Applied
from .inbound import RequestGuard
from .journal import Journal
from .limits import LoginLimits, Waiting
from .pacing import paced
from .settings import Settings
from .timers import SystemTime, Time
from .world import World


@dataclass(eq=False)
class Stub:
    """The running parts of one server; ``rate`` is the live simulation rate."""

    settings: Settings
    seed: int
    world: World
    tokens: Tokens
    answers: Answers
    hub: Hub
    faults: faults.Faults
    stats: Stats
    logins: LoginLimits
    waiting: Waiting
    rate: float
    #: The protocol version spoken (dialect.py), the clock of deadlines (timers.py), applied keys.
    dialect: Dialect = field(default_factory=Dialect)
    time: Time = field(default_factory=SystemTime)
    applied: Applied = field(default_factory=Applied)
    stream_task: asyncio.Task | None = None
    #: The running /_control/locations burst, if any.
    locations_task: asyncio.Task | None = None
    tasks: list[asyncio.Task] = field(default_factory=list)


def build_stub(settings: Settings, time: Time | None = None) -> Stub:
    """``time``: a ``timers.ManualTime`` lets a test expire tokens, sockets and answers."""
    seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**31)
    time = time or SystemTime()
    dialect = Dialect(settings.protocol)
    world = World(deliveries=settings.deliveries, staff=settings.staff, zones=settings.zones, seed=seed,
                  journal=Journal(settings.replay_buffer, render=dialect.frame),
                  location_interval=settings.location_interval, locations=dialect.sends("staff_location_update"))
    fault_state = faults.Faults()
    hub = Hub(settings.ws_queue_limit, silenced=lambda: fault_state.silenced)
    world.journal.subscribe(hub.publish)
    return Stub(settings=settings, seed=seed, world=world,
                tokens=Tokens(settings.token_ttl, time.now, max_tokens=settings.max_tokens),
                answers=Answers(settings.idempotency_keys, settings.idempotency_window, time.now), hub=hub,
                faults=fault_state, stats=Stats(),
                logins=LoginLimits(settings.login_attempts_per_address, settings.login_failures_per_user),
                waiting=Waiting(settings.max_waiting_sockets), rate=settings.rate, dialect=dialect, time=time)


def simulate(stub: Stub, n: int) -> None:
    for _ in range(n):
        stub.world.step()


#: Seconds between looks at whose location event is due (tracking.py); well under the 2 s interval.
LOOK_EVERY = 0.25


def look(stub: Stub) -> None:
    """The location feed: only while the simulation runs (rate > 0), like the other happenings."""
    if stub.rate > 0:
        stub.world.tracking.due()


def sweep(stub: Stub) -> None:
    """Housekeeping: forget expired tokens and login counts that have aged out."""
    stub.tokens.prune()
    stub.logins.prune()


async def every(seconds: float, tick: Callable[[], object]) -> None:
    """Call ``tick`` every ``seconds`` until cancelled; a failing tick is reported and the next one runs."""
    while True:
        await asyncio.sleep(seconds)
        try:
            tick()
        except Exception as exc:  # noqa: BLE001 - a timer must outlive one bad sweep
            print(f"error: periodic {getattr(tick, '__name__', 'task')}: {exc!r}", file=sys.stderr, flush=True)


def create_app(settings: Settings | None = None, time: Time | None = None) -> FastAPI:
    settings = settings or Settings()
    stub = build_stub(settings, time)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        stub.tasks.append(asyncio.create_task(paced(lambda: stub.rate, lambda n: simulate(stub, n))))
        stub.tasks.append(asyncio.create_task(every(settings.prune_interval, lambda: sweep(stub))))
        if settings.location_interval[1] > 0:
            stub.tasks.append(asyncio.create_task(every(LOOK_EVERY, lambda: look(stub))))
        try:
            yield
        finally:
            for task in [*stub.tasks, stub.stream_task, stub.locations_task]:
                if task is not None:
                    task.cancel()
            stub.hub.end_all(1001, "server going away")

    app = FastAPI(title="Delivery Coordinator stub", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.stub = stub

    @app.exception_handler(RequestValidationError)
    async def readable_422(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        where = ".".join(str(p) for p in errors[0].get("loc", ())) if errors else "body"
        message = errors[0].get("msg", "invalid") if errors else "invalid"
        return JSONResponse({"detail": f"{where}: {message}"}, 422)

    @app.exception_handler(Exception)
    async def last_resort(request: Request, exc: Exception) -> JSONResponse:
        """A bug, not an answer: the causes are fixed where they are found; this keeps it JSON."""
        return JSONResponse({"detail": "internal error in the stub: a bug, see its stderr"}, 500)

    # add_middleware puts each one outside the ones before it.
    app.add_middleware(RequestGuard)  # control characters in the path, big or deep bodies
    app.add_middleware(security.ApiCors, allowed=settings.allow_origins)  # CORS for --allow-origin
    app.add_middleware(ApiGzip)  # the API's JSON gzipped when accepted (encoding.py)
    if settings.faults:
        app.add_middleware(security.ControlHeader)  # X-DC-Control: 1 on /_control/
    app.add_middleware(hosts.HostCheck, allowed=hosts.allowed_names(settings.host, settings.allow_hosts))
    app.include_router(rest.router)
    app.include_router(logout.router)
    app.add_api_websocket_route("/ws", ws.endpoint)
    if settings.faults:
        app.include_router(faults.router)
    if settings.bench_pages is not None:
        static.mount_pages(app, "bench", settings.bench_pages)
    static.mount(app, settings.static_root, site=settings.site)
    return app
