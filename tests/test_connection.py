"""app/connection.py: every transition of the table, the backoff, slow retries, heartbeat, dead socket, 4401."""

from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.backoff import delays
from app.connection import (
    CLOSE_DEAD,
    CLOSE_NORMAL,
    CLOSE_RESYNC,
    DEAD,
    PING,
    RETRY,
    TRANSITIONS,
    CancelTimer,
    CloseSocket,
    Connection,
    Input,
    OpenSocket,
    Phase,
    SendAuth,
    SendPing,
    StartTimer,
    State,
    StateChanged,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


SLOW = 60_000


def make(schedule=(1000, 2000, 4000, 8000, 16000), clock=None) -> Connection:
    return Connection(clock=clock or Clock(), delays_factory=lambda: list(schedule), slow_delay=lambda: SLOW)


def names(actions) -> list[str]:
    return [type(a).__name__ for a in actions]


# How to bring a fresh machine to each phase.
SETUP = {
    Phase.IDLE: [],
    Phase.OPENING: ["start"],
    Phase.HANDSHAKE: ["start", "socket_opened"],
    Phase.OPEN: ["start", "socket_opened", "welcome"],
    Phase.WAITING: ["start", "close1006"],
    Phase.OFFLINE: ["start", "close1006", "retry", "close1006"],
    Phase.UNAUTHORIZED: ["start", "close4401"],
    Phase.STOPPED: ["stop"],
}

INPUTS = {
    "start": lambda c: c.start(),
    "socket_opened": lambda c: c.socket_opened(),
    "welcome": lambda c: c.welcome_received(resumed=True),
    "frame": lambda c: c.frame_received(),
    "close1006": lambda c: c.socket_closed(1006),
    "close4401": lambda c: c.socket_closed(4401),
    "ping": lambda c: c.timer_fired(PING),
    "dead": lambda c: c.timer_fired(DEAD),
    "retry": lambda c: c.timer_fired(RETRY),
    "retry_now": lambda c: c.retry_now(),
    "online": lambda c: c.browser_online(),
    "visible": lambda c: c.page_visible(),
    "reconnect": lambda c: c.reconnect("the snapshot stays behind"),
    "signed_in": lambda c: c.signed_in(),
    "unauthorized": lambda c: c.unauthorized(),
    "stop": lambda c: c.stop(),
}


def at(phase: Phase, clock=None, schedule=(1000,)) -> Connection:
    conn = make(schedule, clock)
    for step in SETUP[phase]:
        INPUTS[step](conn)
    while phase is Phase.OFFLINE and conn.phase in (Phase.OPENING, Phase.WAITING):  # exhaust a longer schedule
        conn.timer_fired(RETRY) if conn.phase is Phase.WAITING else conn.socket_closed(1006)
    assert conn.phase is phase
    conn.actions()
    return conn


# (phase, input, next phase, action types) -- one line per row of the module's table,
# plus the inputs each phase must ignore. The dead timer fires with the clock at 35 s.
TABLE = [
    (Phase.IDLE, "start", Phase.OPENING, ["OpenSocket", "StartTimer", "StateChanged"]),
    (Phase.OPENING, "socket_opened", Phase.HANDSHAKE, ["SendAuth"]),
    (Phase.OPENING, "close1006", Phase.WAITING, ["CancelTimer", "StartTimer", "StateChanged"]),
    (Phase.OPENING, "close4401", Phase.UNAUTHORIZED, ["CancelTimer", "StateChanged"]),
    (Phase.OPENING, "dead", Phase.WAITING, ["CloseSocket", "StartTimer", "StateChanged"]),
    (Phase.HANDSHAKE, "welcome", Phase.OPEN, ["StartTimer", "StateChanged"]),
    (Phase.HANDSHAKE, "frame", Phase.HANDSHAKE, []),
    (Phase.HANDSHAKE, "close1006", Phase.WAITING, ["CancelTimer", "StartTimer", "StateChanged"]),
    (Phase.HANDSHAKE, "close4401", Phase.UNAUTHORIZED, ["CancelTimer", "StateChanged"]),
    (Phase.HANDSHAKE, "dead", Phase.WAITING, ["CloseSocket", "StartTimer", "StateChanged"]),
    (Phase.OPEN, "frame", Phase.OPEN, []),
    (Phase.OPEN, "ping", Phase.OPEN, ["SendPing", "StartTimer"]),
    (Phase.OPEN, "close1006", Phase.WAITING, ["CancelTimer", "CancelTimer", "StartTimer", "StateChanged"]),
    (Phase.OPEN, "close4401", Phase.UNAUTHORIZED, ["CancelTimer", "CancelTimer", "StateChanged"]),
    (Phase.OPEN, "dead", Phase.WAITING, ["CloseSocket", "CancelTimer", "StartTimer", "StateChanged"]),
    (Phase.OPEN, "reconnect", Phase.WAITING,
     ["CloseSocket", "CancelTimer", "CancelTimer", "StartTimer", "StateChanged"]),
    (Phase.HANDSHAKE, "reconnect", Phase.HANDSHAKE, []),
    (Phase.WAITING, "retry", Phase.OPENING, ["OpenSocket", "StartTimer", "StateChanged"]),
    (Phase.WAITING, "retry_now", Phase.OPENING, ["CancelTimer", "OpenSocket", "StartTimer", "StateChanged"]),
    (Phase.WAITING, "online", Phase.OPENING, ["CancelTimer", "OpenSocket", "StartTimer", "StateChanged"]),
    (Phase.WAITING, "visible", Phase.WAITING, []),
    (Phase.WAITING, "close1006", Phase.WAITING, []),  # a stale close from the socket we dropped
    (Phase.OFFLINE, "retry_now", Phase.OPENING, ["CancelTimer", "OpenSocket", "StartTimer", "StateChanged"]),
    (Phase.OFFLINE, "online", Phase.OPENING, ["CancelTimer", "OpenSocket", "StartTimer", "StateChanged"]),
    (Phase.OFFLINE, "visible", Phase.OPENING, ["CancelTimer", "OpenSocket", "StartTimer", "StateChanged"]),
    (Phase.OFFLINE, "retry", Phase.OPENING, ["OpenSocket", "StartTimer", "StateChanged"]),  # a slow try
    (Phase.OFFLINE, "close1006", Phase.OFFLINE, []),
    (Phase.IDLE, "unauthorized", Phase.UNAUTHORIZED, ["StateChanged"]),
    (Phase.OPENING, "unauthorized", Phase.UNAUTHORIZED, ["CloseSocket", "CancelTimer", "StateChanged"]),
    (Phase.OPEN, "unauthorized", Phase.UNAUTHORIZED,
     ["CloseSocket", "CancelTimer", "CancelTimer", "StateChanged"]),
    (Phase.WAITING, "unauthorized", Phase.UNAUTHORIZED, ["CancelTimer", "StateChanged"]),
    (Phase.IDLE, "stop", Phase.STOPPED, ["StateChanged"]),
    (Phase.HANDSHAKE, "stop", Phase.STOPPED, ["CloseSocket", "CancelTimer", "StateChanged"]),
    (Phase.OPEN, "stop", Phase.STOPPED, ["CloseSocket", "CancelTimer", "CancelTimer", "StateChanged"]),
    (Phase.WAITING, "stop", Phase.STOPPED, ["CancelTimer", "StateChanged"]),
    (Phase.OFFLINE, "stop", Phase.STOPPED, ["CancelTimer", "StateChanged"]),
    (Phase.OFFLINE, "unauthorized", Phase.UNAUTHORIZED, ["CancelTimer", "StateChanged"]),
    (Phase.UNAUTHORIZED, "stop", Phase.STOPPED, ["StateChanged"]),
    (Phase.UNAUTHORIZED, "retry_now", Phase.UNAUTHORIZED, []),
    (Phase.UNAUTHORIZED, "online", Phase.UNAUTHORIZED, []),
    (Phase.UNAUTHORIZED, "signed_in", Phase.OPENING, ["OpenSocket", "StartTimer", "StateChanged"]),
    (Phase.OPEN, "signed_in", Phase.OPEN, []),
    (Phase.STOPPED, "start", Phase.STOPPED, []),
    (Phase.STOPPED, "retry_now", Phase.STOPPED, []),
]


@pytest.mark.parametrize("phase, step, expected, actions", TABLE, ids=lambda v: str(v))
def test_transition_table(phase, step, expected, actions):
    clock = Clock()
    conn = at(phase, clock)
    clock.now = 35_000
    INPUTS[step](conn)
    assert conn.phase is expected
    assert names(conn.actions()) == actions


def test_every_row_of_the_transition_table_is_exercised():
    covered = set()
    for phase, step, _, _ in TABLE:
        event = {"close1006": Input.SOCKET_CLOSED, "close4401": Input.SOCKET_CLOSED, "ping": Input.PING_TIMER,
                 "dead": Input.DEAD_TIMER, "retry": Input.RETRY_TIMER}.get(step) or Input(step)
        covered.add((phase, event))
    rows = {key for key in TRANSITIONS if key[1] not in (Input.UNAUTHORIZED, Input.STOP)}
    assert rows <= covered


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("step", list(INPUTS))
def test_any_input_in_any_phase_ends_in_an_allowed_phase_without_raising(phase, step):
    conn = at(phase)
    INPUTS[step](conn)
    row = TRANSITIONS.get((phase, _input_of(step)))
    assert conn.phase in (row[1] if row else {phase})


def _input_of(step):
    return {"close1006": Input.SOCKET_CLOSED, "close4401": Input.SOCKET_CLOSED, "ping": Input.PING_TIMER,
            "dead": Input.DEAD_TIMER, "retry": Input.RETRY_TIMER}.get(step) or Input(step)


def test_auth_is_the_first_thing_sent_after_open():
    conn = at(Phase.OPENING)
    conn.socket_opened()
    assert conn.actions() == [SendAuth()]


def test_backoff_schedule_is_1_2_4_8_16_seconds_then_offline():
    conn = Connection(clock=Clock(), delays_factory=partial(delays, jitter=0), slow_delay=lambda: SLOW)
    conn.start()
    conn.actions()
    retries, shown = [], []
    for _ in range(5):
        conn.socket_closed(1006)
        actions = conn.actions()
        retries += [a.ms for a in actions if isinstance(a, StartTimer) and a.name == RETRY]
        shown += [a for a in actions if isinstance(a, StateChanged)]
        conn.timer_fired(RETRY)
        assert names(conn.actions())[0] == "OpenSocket"
    assert retries == [1000, 2000, 4000, 8000, 16000]
    assert [(s.state, s.attempt, s.of, s.next_retry_ms) for s in shown] == [
        (State.RECONNECTING, n + 1, 5, 1000 * 2**n) for n in range(5)
    ]
    conn.socket_closed(1006)  # the fifth attempt failed too
    assert conn.state is State.OFFLINE
    assert conn.actions()[-2:] == [StartTimer(RETRY, SLOW), StateChanged(State.OFFLINE, 5, 5, SLOW)]


def test_offline_keeps_trying_every_minute_and_a_failed_slow_try_waits_another_minute():
    conn = at(Phase.OFFLINE, schedule=(1000, 2000))
    for _ in range(3):
        conn.timer_fired(RETRY)  # the slow try
        actions = conn.actions()
        assert names(actions)[0] == "OpenSocket"
        assert actions[-1] == StateChanged(State.RECONNECTING, 2, 2, None)  # "trying now"
        conn.socket_opened()
        conn.socket_closed(1006)
        actions = conn.actions()
        assert [a.ms for a in actions if isinstance(a, StartTimer)] == [SLOW]  # no new burst
        assert actions[-1] == StateChanged(State.OFFLINE, 2, 2, SLOW)


def test_slow_delays_come_from_the_injected_source_each_time():
    waits = iter([50_000, 70_000, 61_000])
    conn = Connection(clock=Clock(), delays_factory=lambda: [], slow_delay=lambda: next(waits))
    conn.start()
    conn.socket_closed(1006)  # an empty schedule: straight to the slow tries
    assert StartTimer(RETRY, 50_000) in conn.actions() and conn.state is State.OFFLINE
    conn.timer_fired(RETRY)
    conn.socket_closed(1006)
    assert StartTimer(RETRY, 70_000) in conn.actions()


def test_a_welcome_ends_the_slow_phase():
    conn = at(Phase.OFFLINE, schedule=(1000, 2000))
    conn.timer_fired(RETRY)
    conn.socket_opened()
    conn.welcome_received(resumed=True)
    assert conn.state is State.OPEN and conn.attempt == 0
    assert conn.actions()[-1] == StateChanged(State.OPEN, 0, 2, None)
    conn.socket_closed(1006)
    assert StartTimer(RETRY, 1000) in conn.actions()  # a fresh quick schedule


def test_jittered_delays_come_from_the_injected_factory():
    values = iter([0.0, 1.0] * 10)
    conn = Connection(clock=Clock(), delays_factory=lambda: delays(rng=lambda: next(values)))
    conn.start()
    conn.socket_closed(1006)
    assert StartTimer(RETRY, 800) in conn.actions()
    conn.timer_fired(RETRY)
    conn.socket_closed(1006)
    assert StartTimer(RETRY, 2400) in conn.actions()


def test_attempt_count_resets_on_welcome_not_on_open():
    conn = make()
    conn.start()
    for expected in (1000, 2000, 4000):  # opened, but never welcomed: still counting
        conn.socket_opened()
        conn.socket_closed(1008)
        assert StartTimer(RETRY, expected) in conn.actions()
        conn.timer_fired(RETRY)
    conn.socket_opened()
    conn.welcome_received(resumed=False)
    assert conn.state is State.OPEN and conn.attempt == 0
    conn.actions()
    conn.socket_closed(1006)
    assert StartTimer(RETRY, 1000) in conn.actions()  # a fresh schedule


def test_server_that_accepts_then_closes_ends_offline_not_in_a_loop():
    conn = make(schedule=(1, 1, 1, 1, 1))
    conn.start()
    conn.actions()
    waits = []
    for _ in range(10):
        conn.socket_opened()
        conn.socket_closed(4400)
        waits += [a.ms for a in conn.actions() if isinstance(a, StartTimer) and a.name == RETRY]
        conn.timer_fired(RETRY)
        conn.actions()
    assert waits == [1] * 5 + [SLOW] * 5  # five quick retries, then one try a minute: never a tight loop
    assert conn.attempt == 5


@pytest.mark.parametrize("code", [1000, 1001, 1006, 1008, 1011, 4400, 4000, 4999])
def test_close_codes_other_than_4401_reconnect_with_backoff(code):
    conn = at(Phase.OPEN)
    conn.socket_closed(code)
    assert conn.state is State.RECONNECTING
    assert StartTimer(RETRY, 1000) in conn.actions()
    assert conn.last_close_code == code


def test_4401_means_unauthorized_and_no_further_attempt_ever():
    conn = at(Phase.OPEN)
    conn.socket_closed(4401)
    assert conn.state is State.UNAUTHORIZED
    for step in ("retry", "retry_now", "online", "visible", "start", "dead", "ping", "socket_opened", "close1006"):
        INPUTS[step](conn)
    assert "OpenSocket" not in names(conn.actions())
    assert conn.state is State.UNAUTHORIZED


def test_heartbeat_pings_every_15_seconds_while_open():
    conn = at(Phase.HANDSHAKE)
    conn.welcome_received(resumed=True)
    assert StartTimer(PING, 15_000) in conn.actions()
    for _ in range(3):
        conn.timer_fired(PING)
        assert conn.actions() == [SendPing(), StartTimer(PING, 15_000)]


def test_no_ping_before_welcome():
    conn = at(Phase.HANDSHAKE)
    conn.timer_fired(PING)
    assert conn.actions() == []


def test_socket_silent_for_35_seconds_is_dead_closed_and_reconnected():
    clock = Clock()
    conn = at(Phase.OPEN, clock)
    clock.now = 34_999
    conn.timer_fired(DEAD)  # early (a timer may fire a little early): re-armed for the rest
    assert conn.actions() == [StartTimer(DEAD, 1)]
    clock.now = 35_000
    conn.timer_fired(DEAD)
    actions = conn.actions()
    assert actions[0] == CloseSocket(CLOSE_DEAD, "nothing received for 35000 ms")
    assert StartTimer(RETRY, 1000) in actions
    assert conn.state is State.RECONNECTING


def test_any_frame_postpones_the_dead_verdict():
    clock = Clock()
    conn = at(Phase.OPEN, clock)
    clock.now = 20_000
    conn.frame_received()
    assert conn.actions() == []  # no timer churn per frame
    clock.now = 35_000
    conn.timer_fired(DEAD)
    assert conn.actions() == [StartTimer(DEAD, 20_000)]
    clock.now = 55_000
    conn.timer_fired(DEAD)
    assert isinstance(conn.actions()[0], CloseSocket)


def test_frames_before_the_welcome_do_not_postpone_the_dead_verdict():
    # A server that lost its welcome but sends other frames must not hold a handshake open for ever.
    clock = Clock()
    conn = at(Phase.HANDSHAKE, clock)
    clock.now = 20_000
    conn.frame_received()
    clock.now = 35_000
    conn.timer_fired(DEAD)
    assert conn.actions()[0] == CloseSocket(CLOSE_DEAD, "nothing received for 35000 ms")
    assert conn.phase is Phase.WAITING


def test_dead_timer_also_bounds_a_connect_that_hangs():
    clock = Clock()
    conn = at(Phase.OPENING, clock)
    clock.now = 35_000
    conn.timer_fired(DEAD)
    assert isinstance(conn.actions()[0], CloseSocket) and conn.phase is Phase.WAITING


def test_durations_are_injectable():
    clock = Clock()
    conn = Connection(clock=clock, delays_factory=lambda: [5], ping_interval_ms=50, dead_after_ms=120)
    conn.start()
    assert StartTimer(DEAD, 120) in conn.actions()
    conn.socket_opened()
    conn.welcome_received(True)
    assert StartTimer(PING, 50) in conn.actions()


def test_offline_retry_now_starts_a_fresh_schedule_immediately():
    conn = at(Phase.OFFLINE, schedule=(1000, 2000))
    conn.retry_now()
    actions = conn.actions()
    assert actions[:2] == [CancelTimer(RETRY), OpenSocket()]  # the slow try's timer goes
    assert actions[-1] == StateChanged(State.CONNECTING, 0, 2, None)
    conn.socket_closed(1006)
    assert StartTimer(RETRY, 1000) in conn.actions()


def test_reconnect_closes_the_open_socket_with_4001_and_retries_with_backoff():
    conn = at(Phase.OPEN)
    conn.reconnect("the snapshot stays behind")
    actions = conn.actions()
    assert actions[0] == CloseSocket(CLOSE_RESYNC, "the snapshot stays behind")
    assert StartTimer(RETRY, 1000) in actions and conn.state is State.RECONNECTING
    assert conn.last_close_code == CLOSE_RESYNC and not conn.has_socket


def test_signed_in_after_4401_connects_again_with_a_fresh_schedule():
    conn = at(Phase.UNAUTHORIZED, schedule=(1000, 2000))
    conn.signed_in()
    assert names(conn.actions())[0] == "OpenSocket" and conn.state is State.CONNECTING and conn.attempt == 0


def test_browser_online_while_waiting_retries_at_once():
    conn = at(Phase.WAITING)
    conn.browser_online()
    assert names(conn.actions())[:2] == ["CancelTimer", "OpenSocket"]


def test_page_visible_while_waiting_lets_the_timer_run():
    conn = at(Phase.WAITING)
    conn.page_visible()
    assert conn.actions() == [] and conn.phase is Phase.WAITING


def test_state_changed_only_when_what_is_shown_changes():
    conn = at(Phase.OPENING)
    conn.socket_opened()  # OPENING -> HANDSHAKE: still "connecting"
    conn.frame_received()
    assert not any(isinstance(a, StateChanged) for a in conn.actions())


def test_stop_closes_the_socket_cancels_timers_and_ignores_everything_after():
    conn = at(Phase.OPEN)
    conn.stop()
    actions = conn.actions()
    assert actions[0] == CloseSocket(CLOSE_NORMAL, "stopped")
    assert {a.name for a in actions if isinstance(a, CancelTimer)} == {PING, DEAD}
    for step in INPUTS:
        INPUTS[step](conn)
    assert conn.actions() == [] and conn.state is State.STOPPED


def test_rest_401_closes_the_socket_and_stops_for_good():
    conn = at(Phase.OPEN)
    conn.unauthorized()
    assert conn.actions()[0] == CloseSocket(CLOSE_NORMAL, "unauthorized")
    conn.timer_fired(RETRY)
    conn.retry_now()
    assert conn.actions() == []


def test_timers_that_are_not_its_own_are_ignored():
    conn = at(Phase.OPEN)
    conn.timer_fired("http:snapshot-1")
    conn.timer_fired("snapshot")
    assert conn.actions() == [] and conn.phase is Phase.OPEN


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["start", "socket_opened", "welcome", "frame", "close", "close4401", "ping",
                                 "dead", "retry", "retry_now", "online", "visible", "reconnect", "signed_in",
                                 "tick"]), max_size=60))
def test_never_two_sockets(steps):
    """Driven like a browser would (events only for a socket that exists), OpenSocket never doubles up."""
    clock = Clock()
    conn = make(schedule=(1, 2, 3), clock=clock)
    socket = None  # None, "opening", "open"
    running: set[str] = set()
    for step in steps:
        if step == "tick":
            clock.now += 10_000
            continue
        if step in ("socket_opened",) and socket != "opening":
            continue
        if step in ("close", "close4401", "frame", "welcome") and socket is None:
            continue
        if step in ("ping", "dead", "retry") and step not in running:
            continue  # a timer fires only if it was started
        if step == "close":
            socket = None
            conn.socket_closed(1006)
        elif step == "close4401":
            socket = None
            conn.socket_closed(4401)
        else:
            INPUTS[step](conn)
            if step == "socket_opened":
                socket = "open"
            if step in ("ping", "dead", "retry"):
                running.discard(step)
        for action in conn.actions():
            if isinstance(action, OpenSocket):
                assert socket is None, "OpenSocket while a socket is open or opening"
                socket = "opening"
            elif isinstance(action, CloseSocket):
                socket = None
            elif isinstance(action, StartTimer):
                running.add(action.name)
            elif isinstance(action, CancelTimer):
                running.discard(action.name)
        assert (socket is not None) == conn.has_socket


def test_the_connection_doctests_hold():
    import doctest

    from app import connection

    assert doctest.testmod(connection).failed == 0
