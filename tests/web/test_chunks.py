"""Chunked: long work a step per event-loop turn, one step scheduled at a time."""

from app.web.chunks import Chunked
from tests.web.fakes import turns


def test_chunked_steps_once_per_turn_until_no_work_is_left_and_cancel_stops_it():
    queue = list(range(5))
    steps = []
    chunks = Chunked(lambda: steps.append(queue.pop()), lambda: bool(queue))
    chunks.kick()
    chunks.kick()  # one at a time
    turns(10)
    assert steps == [4, 3, 2, 1, 0] and not chunks.scheduled
    queue.append(9)
    chunks.kick()
    chunks.cancel()
    turns(3)
    assert queue == [9]


def test_nothing_is_scheduled_when_no_work_waits():
    chunks = Chunked(lambda: None, lambda: False)
    chunks.kick()
    assert not chunks.scheduled
    chunks.cancel()  # cancelling nothing is harmless
