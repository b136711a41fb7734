"""app/sorted_ids.py: ids stay in key order through any moves, and the window is taken in that order."""

import doctest
import random

from hypothesis import given, settings
from hypothesis import strategies as st

import app.sorted_ids as sorted_ids_module
from app.sorted_ids import SortedIds


def test_doctests_hold():
    assert doctest.testmod(sorted_ids_module).failed == 0


def test_place_keeps_key_order():
    ids = SortedIds()
    for name, key in (("b", (2,)), ("a", (1,)), ("c", (3,))):
        ids.place(name, key)
    assert ids.ids() == ["a", "b", "c"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 20)), max_size=60), st.sampled_from([1, 2, 256]))
def test_sorted_ids_stay_sorted_and_unique_through_any_moves(steps, load):
    ids = SortedIds()
    ids.LOAD = load  # small buckets: splits and emptied buckets happen within a few steps
    model: dict[str, tuple] = {}
    for name, value in steps:
        key = (value, name)
        if value == 0 and name in model:
            ids.remove(name)
            del model[name]
            continue
        ids.place(name, key)
        model[name] = key
        expected = sorted(model, key=model.get)
        assert ids.ids() == expected and len(ids) == len(expected)
        assert ids.first(3, lambda i: True) == expected[:3]


def test_reset_orders_everything_at_once():
    ids = SortedIds()
    keys = list(range(200))
    random.Random(3).shuffle(keys)
    assert ids.reset((f"D-{k}", (k,)) for k in keys) == [f"D-{k}" for k in range(200)]
    assert len(ids) == 200 and "D-5" in ids and ids.key("D-5") == (5,)
    ids.place("D-5", (199.5,))
    ids.place("D-199", (-1,))
    assert ids.ids() == ["D-199"] + [f"D-{k}" for k in range(200) if k not in (5, 199)] + ["D-5"]


def test_first_takes_the_window_in_key_order_skipping_what_is_not_accepted():
    ids = SortedIds()
    for name, key in (("d", (4,)), ("a", (1,)), ("c", (3,)), ("b", (2,)), ("e", (5,))):
        ids.place(name, key)
    assert ids.first(2, lambda i: True) == ["a", "b"]
    assert ids.first(2, {"b", "d", "e"}.__contains__) == ["b", "d"]
    assert ids.first(10, {"e", "a"}.__contains__) == ["a", "e"]
    assert ids.first(0, lambda i: True) == [] and SortedIds().first(3, lambda i: True) == []
    ids.place("e", (0,))  # moved to the front
    assert ids.first(2, lambda i: True) == ["e", "a"]


def test_shrink_lets_go_of_the_last_ids_a_few_at_a_time_and_what_is_left_still_works():
    order = SortedIds()
    order.LOAD = 4
    for i in range(30):
        order.place(f"i{i:02d}", (i,))
    assert order.shrink(7) == 7 and order.ids() == [f"i{i:02d}" for i in range(23)] and len(order) == 23
    order.place("x", (22.5,))
    assert order.ids()[-2:] == ["i22", "x"] and order.first(2, lambda _: True) == ["i00", "i01"]
    assert order.shrink(100) == 24 and order.shrink(5) == 0 and len(order) == 0 and order.ids() == []
