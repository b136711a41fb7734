"""How one stub server is configured: the CLI fills this, tests build it directly.

    >>> Settings(seed=7, rate=0).deliveries
    300

Frozen on purpose: what changes while the server runs (the simulation rate,
the faults) lives in the runtime objects that own it, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: The repository root: the default place the app's static files are served from.
REPO_ROOT = Path(__file__).resolve().parent.parent

MAX_DELIVERIES = 100_000
MAX_STAFF = 500
MAX_ZONES = 50
MAX_LOCATION_INTERVAL = 3600.0


def interval_ok(interval: tuple[float, float]) -> bool:
    """(0, 0) is off; otherwise 0 < MIN <= MAX <= ``MAX_LOCATION_INTERVAL``."""
    low, high = interval
    return (low, high) == (0, 0) or 0 < low <= high <= MAX_LOCATION_INTERVAL


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    deliveries: int = 300
    staff: int = 40
    zones: int = 8
    #: Simulated events per second; 0 leaves the world still until a control call moves it.
    rate: float = 3.0
    #: Seconds between one moving person's staff_location_update events, drawn in [MIN, MAX]
    #: while the simulation runs; (0, 0) sends none (the /_control/locations burst still can).
    location_interval: tuple[float, float] = (2.0, 5.0)
    #: None draws a seed at start; the CLI prints it so a run can be replayed.
    seed: int | None = None
    #: How many past events a reconnecting client can resume from.
    replay_buffer: int = 5000
    #: Mount the /_control/ fault-injection routes (loopback test use only).
    faults: bool = False
    token_ttl: float = 28_800.0
    static_root: Path = field(default=REPO_ROOT)
    #: ``static_root`` is a build of scripts/build.py (``--site``), served with the build's cache rules.
    site: bool = False
    #: Serve this directory at /bench/ (the benchmark's own pages); None, the default, serves nothing there.
    bench_pages: Path | None = None
    #: Frames a socket may have waiting before it is closed with 1008 as too slow.
    ws_queue_limit: int = 10_000
    #: Seconds a new socket has to send its auth message.
    auth_timeout: float = 10.0
    #: Idempotency keys remembered at most (oldest forgotten first, even inside the window).
    idempotency_keys: int = 100_000
    #: Seconds an idempotent answer is kept (PROTOCOL.md 2: at least 24 hours).
    idempotency_window: float = 86_400.0
    #: The PROTOCOL.md version spoken: 2, or 1 to test the app against an older backend (dialect.py).
    protocol: int = 2
    #: Page origins, besides the stub's own, allowed to call /api (CORS) and open /ws (security.py).
    allow_origins: tuple[str, ...] = ()
    #: Serve over TLS (https:// and wss://) with this PEM certificate and key; both or neither.
    certfile: Path | None = None
    keyfile: Path | None = None
    #: Host names, besides the loopback ones and the bound --host, that requests may name (hosts.py).
    allow_hosts: tuple[str, ...] = ()
    #: Allow ``faults`` on an interface other than loopback (the /_control/ routes need no login).
    faults_on_public_interface: bool = False
    #: Sockets accepted but not yet authenticated, at most (limits.py); more are refused.
    max_waiting_sockets: int = 50
    #: Login attempts per client address per minute (limits.py); more get a 429.
    login_attempts_per_address: int = 60
    #: Failed logins per username per 5 minutes (limits.py); more get a 429.
    login_failures_per_user: int = 10
    #: Live tokens kept at most (auth.py): past it, the oldest is forgotten.
    max_tokens: int = 10_000
    #: Seconds between sweeps of expired tokens and old login counts (app.py).
    prune_interval: float = 60.0

    def __post_init__(self) -> None:
        checks = [
            (1 <= self.deliveries <= MAX_DELIVERIES, f"deliveries must be 1..{MAX_DELIVERIES}"),
            (1 <= self.staff <= MAX_STAFF, f"staff must be 1..{MAX_STAFF}"),
            (1 <= self.zones <= MAX_ZONES, f"zones must be 1..{MAX_ZONES}"),
            (self.rate >= 0, "rate must be >= 0"),
            (interval_ok(self.location_interval),
             f"location interval must be 0 (off) or MIN[-MAX] seconds with 0 < MIN <= MAX <= {MAX_LOCATION_INTERVAL:g}"),
            (self.replay_buffer >= 1, "replay buffer must be >= 1"),
            (self.token_ttl > 0, "token ttl must be > 0"),
            (self.ws_queue_limit >= 1, "ws queue limit must be >= 1"),
            (self.protocol in (1, 2), "protocol must be 1 or 2"),
            (self.idempotency_window >= 86_400, "the idempotency window must be at least 24 h (86400 s)"),
            (self.max_waiting_sockets >= 1, "max waiting sockets must be >= 1"),
            (self.login_attempts_per_address >= 1, "login attempts per address must be >= 1"),
            (self.login_failures_per_user >= 1, "login failures per user must be >= 1"),
            (self.max_tokens >= 1, "max tokens must be >= 1"),
            (self.prune_interval > 0, "prune interval must be > 0"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        from .security import parse_allowed  # OriginError is a ValueError

        object.__setattr__(self, "allow_origins", parse_allowed(self.allow_origins))
        from .hosts import is_loopback, parse_hosts  # HostError is a ValueError

        object.__setattr__(self, "allow_hosts", parse_hosts(self.allow_hosts))
        if self.faults and not is_loopback(self.host) and not self.faults_on_public_interface:
            raise ValueError(f"--faults on {self.host}: the /_control/ routes need no login; bind a loopback "
                             "address, or add --faults-on-public-interface if you really mean it")
        if (self.certfile is None) != (self.keyfile is None):
            raise ValueError("give both --certfile and --keyfile, or neither")
