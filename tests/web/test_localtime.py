"""app/web/localtime.py: the browser's clock and zone offset, and Every, a repeating timer that outlives errors."""

import asyncio
from datetime import timezone

from app.web import localtime
from app.web.localtime import Every


def run_for(loop, seconds: float) -> None:
    loop.run_until_complete(asyncio.sleep(seconds))


def test_now_is_aware_utc_and_the_offset_is_the_browsers():
    assert localtime.now().tzinfo is timezone.utc
    assert localtime.offset_minutes() == 0  # the fake page's Date says UTC


def test_every_repeats_until_cancelled(event_loop_for_the_shell):
    ticks = []
    ticker = Every(0.001, lambda: ticks.append(1))
    for _ in range(200):  # bounded: a few ticks of 1 ms
        if len(ticks) >= 3:
            break
        run_for(event_loop_for_the_shell, 0.001)
    ticker.cancel()
    seen = len(ticks)
    assert seen >= 3
    run_for(event_loop_for_the_shell, 0.01)
    assert len(ticks) == seen, "no tick after cancel"


def test_an_error_in_a_tick_does_not_stop_the_timer(event_loop_for_the_shell):
    ticks = []

    def tick():
        ticks.append(1)
        if len(ticks) == 1:
            raise ValueError("one bad tick")

    errors = []
    event_loop_for_the_shell.set_exception_handler(lambda loop, context: errors.append(context["exception"]))
    ticker = Every(0.001, tick)
    for _ in range(200):
        if len(ticks) >= 2:
            break
        run_for(event_loop_for_the_shell, 0.001)
    ticker.cancel()
    assert len(ticks) >= 2 and isinstance(errors[0], ValueError)

