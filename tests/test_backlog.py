"""app/backlog.py: keys written a budget per turn, what changed before what only needs rewriting."""

import pytest

from app.backlog import STRIDE, Backlog


class Clock:
    """A millisecond passes at every reading."""

    def __init__(self):
        self.t = 0.0

    def __call__(self):
        self.t += 0.001
        return self.t


def test_a_run_stops_once_the_budget_is_spent_and_the_next_goes_on_in_order():
    backlog = Backlog(Clock(), budget=0.004)
    backlog.add(range(200), later=True)
    runs = []
    while backlog and len(runs) < 50:
        done = []
        backlog.run(done.append)
        runs.append(done)
    assert [key for run in runs for key in run] == list(range(200))
    assert len(runs) > 1 and max(map(len, runs)) <= 4 * STRIDE


def test_what_changed_passes_what_only_needs_writing_again_and_each_key_waits_once():
    backlog = Backlog(Clock(), budget=1.0)
    backlog.add(["a", "b", "c"], later=True)
    backlog.add(["c", "d", "d"])
    backlog.add(["d"], later=True)  # already waiting, sooner
    assert len(backlog) == 4 and "a" in backlog
    done = []
    assert backlog.run(done.append) == 4
    assert done == ["c", "d", "a", "b"] and not backlog


def test_a_discarded_key_is_not_written():
    backlog = Backlog(Clock(), budget=1.0)
    backlog.add(["a", "b"])
    backlog.add(["c"], later=True)
    backlog.discard("a")
    backlog.discard("c")
    done = []
    backlog.run(done.append)
    assert done == ["b"]
    backlog.add(["x"])
    backlog.clear()
    assert len(backlog) == 0


def test_the_streams_changes_are_all_written_whatever_the_budget_the_big_writes_wait():
    backlog = Backlog(Clock(), budget=0.002)
    backlog.add(range(1000, 1100), later=True)
    backlog.add(range(300))
    done = []
    backlog.run(done.append)
    assert done[:300] == list(range(300)) and 0 < len(done) - 300 <= 2 * STRIDE


def test_a_run_makes_progress_however_slow_the_clock_and_the_budget_must_be_positive():
    backlog = Backlog(lambda: 10.0 ** 9 * next(ticks), budget=0.001)
    ticks = iter(range(1000))
    backlog.add(range(100), later=True)
    assert backlog.run(lambda key: None) == STRIDE
    with pytest.raises(ValueError):
        Backlog(Clock(), budget=0)
