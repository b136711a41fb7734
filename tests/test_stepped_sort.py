"""app/stepped_sort.py: a SortedIds built a step at a time equals one sorted at once."""

import doctest

from hypothesis import given, settings
from hypothesis import strategies as st

import app.stepped_sort as stepped_sort_module
from app.sorted_ids import SortedIds
from app.stepped_sort import SteppedSort


def test_doctests_hold():
    assert doctest.testmod(stepped_sort_module).failed == 0


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.integers(-5, 5), max_size=60),
       st.sets(st.text("abcdef", min_size=1, max_size=3), max_size=10), st.lists(st.integers(1, 9), min_size=1))
def test_any_steps_build_the_order_a_one_shot_sort_gives(keys, gone, sizes):
    """Whatever the step sizes, the result is ``SortedIds.reset``'s order, without the ids gone meanwhile."""
    ids = list(keys)
    build = SteppedSort(ids, lambda i: None if i in gone else (keys[i], i))
    steps = 0
    for steps in range(1, 4 * len(ids) + 4):
        did = build.step(sizes[steps % len(sizes)])
        assert did <= sizes[steps % len(sizes)]
        if not did:
            break
    assert build.done
    expected = SortedIds()
    expected.reset((i, (k, i)) for i, k in keys.items() if i not in gone)
    got = build.result()
    assert got.ids() == expected.ids() and len(got) == len(expected)
    assert all(got.key(i) == (keys[i], i) for i in expected.ids())
    got.place("zz", (0, "zz"))  # it is a working SortedIds: a move after the build lands in order
    assert got.ids() == sorted([*expected.ids(), "zz"], key=lambda i: got.key(i))
