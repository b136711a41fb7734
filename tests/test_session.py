"""app/session.py: when the token is refreshed, what a refresh's answer does, and the Session value."""

import json

import pytest

from app.connection import CancelTimer, StartTimer
from app.session import (
    DUE_AT,
    JITTER,
    MAX_TIMER_MS,
    MIN_INTERVAL_MS,
    REFRESH_TIMER,
    Ended,
    Phase,
    RefreshNow,
    Renewal,
    Renewed,
    Session,
    expires_ms,
    reauth_frame,
)

HOUR = 3600 * 1000
T0 = "2026-11-26T10:00:00Z"
T0_MS = expires_ms(T0)


class Wall:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def session(expires_in_ms=HOUR, user="u1", token="t1") -> Session:
    expires = None if expires_in_ms is None else _iso(T0_MS + expires_in_ms)
    return Session(token, user, "Ada" if user else None, expires)


def _iso(ms: float) -> str:
    from app.command import iso_of

    return iso_of(ms)


def renewal(sess=None, rng=0.5, delays=(1000, 2000, 4000), now=T0_MS):
    wall = Wall(now)
    r = Renewal(sess or session(), wall_clock=wall, rng=lambda: rng, delays_factory=lambda: list(delays))
    return r, wall


def answer(token="t2", expires_in_ms=HOUR, user="u1", name="Ada") -> str:
    return json.dumps({"token": token, "expiresAt": _iso(T0_MS + expires_in_ms), "user": {"id": user, "name": name}})


def timer_ms(actions) -> int:
    [start] = [a for a in actions if isinstance(a, StartTimer)]
    assert start.name == REFRESH_TIMER
    return start.ms


# --- scheduling -------------------------------------------------------------------------------


@pytest.mark.parametrize("rng", [0.0, 0.5, 0.999])
def test_the_refresh_is_due_by_three_quarters_of_the_lifetime_with_a_little_jitter(rng):
    r, _ = renewal(rng=rng)
    r.start()
    ms = timer_ms(r.actions())
    latest = HOUR * DUE_AT
    assert latest * (1 - JITTER) - 1 <= ms <= latest
    assert ms == int(latest * (1 - JITTER * rng))


def test_jitter_spreads_tabs_that_signed_in_together():
    times = set()
    for rng in (0.1, 0.4, 0.7):
        r, _ = renewal(rng=rng)
        r.start()
        times.add(timer_ms(r.actions()))
    assert len(times) == 3


def test_the_timer_firing_asks_for_the_refresh():
    r, wall = renewal()
    r.start()
    wall.now += timer_ms(r.actions())
    r.timer_fired()
    assert r.actions() == [RefreshNow()]


def test_a_timer_that_fires_early_is_re_armed_for_the_rest_and_a_late_one_asks_at_once():
    r, wall = renewal(session(expires_in_ms=48 * HOUR))
    r.start()
    assert timer_ms(r.actions()) == MAX_TIMER_MS  # a browser timer cannot wait 36 h in one go
    wall.now += MAX_TIMER_MS
    r.timer_fired()
    assert timer_ms(r.actions()) == MAX_TIMER_MS and r.due_ms - wall.now == pytest.approx(
        48 * HOUR * DUE_AT * (1 - JITTER * 0.5) - MAX_TIMER_MS)
    wall.now += 40 * HOUR  # the laptop slept: the timer fires late
    r.timer_fired()
    assert r.actions() == [RefreshNow()]


def test_a_token_session_with_no_user_or_expiry_is_refreshed_at_once_and_learns_both():
    r, _ = renewal(Session("from-fragment"))
    r.start()
    assert r.actions() == [RefreshNow()]
    r.answered(200, answer(token="t2", user="u9", name="Grace"))
    out = r.actions()
    assert out[0] == Renewed(Session("t2", "u9", "Grace", _iso(T0_MS + HOUR)))
    assert timer_ms(out) > 0 and r.session.user_id == "u9"


def test_an_expired_session_is_refreshed_at_once():
    r, wall = renewal()
    wall.now += 2 * HOUR
    r.start()
    assert r.actions() == [RefreshNow()]


# --- answers -------------------------------------------------------------------------------------


def asking(**kw):
    r, wall = renewal(**kw)
    r.start()
    wall.now += timer_ms(r.actions())
    r.timer_fired()
    assert r.actions() == [RefreshNow()]
    return r, wall


def test_a_renewal_is_reported_and_the_next_one_scheduled_from_the_new_expiry():
    r, wall = asking()
    r.answered(200, answer(expires_in_ms=HOUR + 10 * 60_000))
    out = r.actions()
    assert isinstance(out[0], Renewed) and out[0].session.token == "t2"
    left = T0_MS + HOUR + 10 * 60_000 - wall.now
    assert timer_ms(out) == int(left * DUE_AT * (1 - JITTER * 0.5))


def test_a_network_failure_is_retried_with_backoff_while_the_token_is_valid():
    r, wall = asking(delays=(1000, 2000))
    waits = []
    for _ in range(4):
        r.failed("TypeError: Failed to fetch")
        ms = timer_ms(r.actions())
        waits.append(ms)
        wall.now += ms
        r.timer_fired()
        assert r.actions() == [RefreshNow()]
    assert waits == [1000, 2000, 2000, 2000]  # the last delay repeats


@pytest.mark.parametrize("status, body", [(503, ""), (429, ""), (200, "{}"), (200, "[" * 10_000)])
def test_a_server_error_or_an_answer_that_is_not_a_session_is_retried(status, body):
    r, _ = asking()
    r.answered(status, body)
    assert timer_ms(r.actions()) == 1000
    assert r.invalid == (1 if status == 200 else 0)


def test_no_retry_after_the_token_expired():
    r, wall = asking()
    wall.now = T0_MS + HOUR + 1
    r.failed("offline")
    assert r.actions() == [] and r.phase is Phase.EXPIRED


def test_a_retry_never_waits_past_the_expiry():
    r, wall = asking(delays=(60_000,))
    wall.now = T0_MS + HOUR - 500
    r.failed("offline")
    assert timer_ms(r.actions()) == 500


def test_401_ends_the_session():
    r, _ = asking()
    r.answered(401, "")
    assert r.actions() == [Ended("the session could not be renewed (HTTP 401)")]
    assert r.phase is Phase.STOPPED


@pytest.mark.parametrize("status", [404, 405])
def test_404_means_a_version_1_backend_no_more_attempts_even_after_a_sign_in(status):
    r, wall = asking()
    r.answered(status, "")
    assert r.actions() == [] and r.phase is Phase.UNSUPPORTED
    r.replace(session(token="t9"))
    r.timer_fired()
    assert r.actions() == []


def test_a_sign_in_reschedules_and_stop_cancels():
    r, _ = renewal()
    r.start()
    r.actions()
    r.replace(session(expires_in_ms=2 * HOUR, token="t3"))
    out = r.actions()
    assert out[0] == CancelTimer(REFRESH_TIMER) and timer_ms(out) == int(2 * HOUR * DUE_AT * (1 - JITTER * 0.5))
    r.stop()
    assert r.actions() == [CancelTimer(REFRESH_TIMER)]
    r.timer_fired()
    r.answered(200, answer())
    assert r.actions() == []


def test_a_late_answer_when_not_asking_is_ignored():
    r, _ = renewal()
    r.start()
    r.actions()
    r.answered(401, "")
    assert r.actions() == [] and r.phase is Phase.WAITING


# --- values -------------------------------------------------------------------------------------


def test_the_token_stays_out_of_a_sessions_repr():
    assert "secret-token" not in repr(Session("secret-token", "u1"))


@pytest.mark.parametrize("text", [None, "", "tomorrow", "2026-11-26T10:00:00"])
def test_an_expiry_that_names_no_instant_is_none(text):
    assert expires_ms(text) is None


def test_the_reauth_frame_carries_only_type_and_token():
    assert json.loads(reauth_frame("t2")) == {"type": "auth", "token": "t2"}


def test_the_session_doctests_hold():
    import doctest

    from app import session

    assert doctest.testmod(session).failed == 0


def test_a_clock_ahead_of_the_servers_does_not_refresh_in_a_tight_loop():
    r, wall = renewal(now=T0_MS + 10 * HOUR)  # every token the server gives looks expired already
    r.start()
    assert r.actions() == [RefreshNow()]
    r.answered(200, answer(expires_in_ms=HOUR))
    out = r.actions()
    assert isinstance(out[0], Renewed) and timer_ms(out) == MIN_INTERVAL_MS
