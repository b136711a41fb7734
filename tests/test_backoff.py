"""app/backoff.py: the seed's 1, 2, 4, 8, 16 s schedule, five attempts, +-20 % jitter."""

from functools import partial

from hypothesis import given
from hypothesis import strategies as st

from app.backoff import delays, slow_delay


def test_schedule_without_jitter_is_the_seeds():
    assert list(delays(jitter=0)) == [1000, 2000, 4000, 8000, 16000]


def test_rng_half_means_no_jitter():
    assert list(delays(rng=lambda: 0.5)) == [1000, 2000, 4000, 8000, 16000]


def test_jitter_extremes_are_plus_minus_20_percent():
    assert list(delays(rng=lambda: 0.0)) == [800, 1600, 3200, 6400, 12800]
    assert list(delays(rng=lambda: 1.0)) == [1200, 2400, 4800, 9600, 19200]


@given(st.lists(st.floats(min_value=0, max_value=1, exclude_max=True), min_size=5, max_size=5))
def test_every_delay_is_within_20_percent_of_nominal(randoms):
    values = iter(randoms)
    for n, delay in enumerate(delays(rng=lambda: next(values))):
        nominal = 1000 * 2**n
        assert 0.8 * nominal <= delay <= 1.2 * nominal


def test_exactly_five_attempts_then_the_generator_stops():
    schedule = delays()
    assert len(list(schedule)) == 5
    assert next(schedule, None) is None


def test_a_factory_gives_a_fresh_schedule_each_time():
    factory = partial(delays, base_ms=10, attempts=3, jitter=0)
    assert list(factory()) == list(factory()) == [10, 20, 40]


def test_jitter_spreads_clients_apart():
    import random

    rng = random.Random(1)
    firsts = {next(delays(rng=rng.random)) for _ in range(50)}
    assert len(firsts) > 10


def test_the_slow_try_is_a_minute_plus_minus_20_percent():
    assert slow_delay(rng=lambda: 0.5) == 60_000
    assert slow_delay(rng=lambda: 0.0) == 48_000
    assert slow_delay(rng=lambda: 1.0) == 72_000
    assert slow_delay(base_ms=100, jitter=0) == 100


def test_the_backoff_doctests_hold():
    import doctest

    from app import backoff

    assert doctest.testmod(backoff).failed == 0
