"""``create_app(settings)``: the FastAPI application that wires the stub together.

    from fastapi.testclient import TestClient
    with TestClient(create_app(Settings(seed=1, rate=0))) as client:   # lifespan runs
        client.post("/api/login", json={"username": "demo", "password": "demo"})

``app.state.stub`` holds the running parts (a ``Stub``): tests reach the
world through it. The simulation task starts with the app's lifespan and
idles at rate 0; use the TestClient as a context manager so that sockets,
tasks and requests share one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from . import faults, rest, security, static, ws
from .auth import Tokens
from .encoding import ApiGzip
from .hub import Hub, Stats
from .idempotency import Answers
from .pacing import paced
from .settings import Settings
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
    rate: float
    stream_task: asyncio.Task | None = None
    tasks: list[asyncio.Task] = field(default_factory=list)


def build_stub(settings: Settings) -> Stub:
    seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**31)
    world = World(deliveries=settings.deliveries, staff=settings.staff, zones=settings.zones, seed=seed,
                  replay_buffer=settings.replay_buffer)
    fault_state = faults.Faults()
    hub = Hub(settings.ws_queue_limit, silenced=lambda: fault_state.silenced)
    world.journal.subscribe(hub.publish)
    return Stub(settings=settings, seed=seed, world=world, tokens=Tokens(settings.token_ttl),
                answers=Answers(settings.idempotency_keys), hub=hub, faults=fault_state, stats=Stats(),
                rate=settings.rate)


def simulate(stub: Stub, n: int) -> None:
    for _ in range(n):
        stub.world.step()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    stub = build_stub(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        stub.tasks.append(asyncio.create_task(paced(lambda: stub.rate, lambda n: simulate(stub, n))))
        try:
            yield
        finally:
            for task in [*stub.tasks, stub.stream_task]:
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

    app.add_middleware(security.ApiCors, allowed=settings.allow_origins)  # CORS for --allow-origin
    app.add_middleware(ApiGzip)  # the API's JSON gzipped when accepted (encoding.py)
    app.include_router(rest.router)
    app.add_api_websocket_route("/ws", ws.endpoint)
    if settings.faults:
        app.include_router(faults.router)
    if settings.bench_pages is not None:
        static.mount_pages(app, "bench", settings.bench_pages)
    static.mount(app, settings.static_root)
    return app
