"""app/delivery_table.py: the table's matching, counts, order, window, late set and row marks, with a fixed clock."""

import doctest
from datetime import datetime, timedelta, timezone

from hypothesis import example, given, settings
from hypothesis import strategies as st

import app.delivery_table as table_module
from app.delivery_table import DeliveryTable
from app.filters import Filters, count, facts, matches, order_key
from app.models import Delivery

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=timezone.utc)
STATUSES = ("pending", "assigned", "in_transit", "delivered", "cancelled")


def delivery(i, status="pending", eta_minutes=30, zone="Z-1", customer="Ada Brooks"):
    eta = None if eta_minutes is None else (NOW + timedelta(minutes=eta_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Delivery(id=i, status=status, customer=customer, address="12 Mill Lane", zoneId=zone,
                    eta=eta, updatedAt="2026-11-26T13:00:00Z")


class Clock:
    def __init__(self):
        self.ts = NOW.timestamp()

    def __call__(self):
        return self.ts


def table_of(*deliveries, page=2, filters=Filters(), clock=None):
    table = DeliveryTable(filters, page=page, clock=clock or Clock())
    table.reset(deliveries)
    return table


def build_all(table) -> None:
    """Every row built, as after a small board's background turns (tests of the other marks start here)."""
    table.unbuilt(list(table.facts))


def count_all(table, step=2) -> int:
    """Run a new filter's count and a new sort's build to their end, ``step`` ids at a time (bounded);
    the ids matched."""
    done = 0
    for _ in range(len(table.facts) + 1):
        did = table.count_some(step)
        done += did
        if not did:
            break
    for _ in range(4 * len(table.facts) + 4):
        if not table.sort_some(step):
            break
    assert not table.counting and not table.sorting
    return done


def test_doctests_hold():
    assert doctest.testmod(table_module).failed == 0


def test_a_snapshot_queues_every_id_and_builds_ahead_only_the_window_and_the_next_page_in_order():
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i, zone="Z-2" if i == 2 else "Z-1") for i in range(1, 9)),
                     filters=Filters(zone="Z-1"))
    assert table.unbuilt_count() == 8 and table.has_ahead()
    assert table.window() == ["D-1", "D-3"] and table.next_page() == ["D-4", "D-5"]
    assert table.take_ahead(3) == ["D-1", "D-3", "D-4"]
    assert table.take_ahead(10) == ["D-5"] and not table.has_ahead()
    assert table.is_queued("D-2") and table.is_queued("D-6") and table.unbuilt_count() == 4


def test_a_batch_takes_the_window_and_the_next_page_in_one_walk_from_the_start():
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i * 10) for i in range(1, 9)))
    walks = []
    first = table.order.first
    table.order.first = lambda count, *args, **kwargs: walks.append(count) or first(count, *args, **kwargs)
    table.upsert("D-8", delivery("D-8", eta_minutes=5))  # into the window: it is taken again
    assert table.has_ahead() and table.window() == ["D-8", "D-1"] and table.next_page() == ["D-2", "D-3"]
    assert walks == [4]
    table.upsert("D-7", delivery("D-7", eta_minutes=25))  # into the next page only
    assert table.window() == ["D-8", "D-1"] and table.next_page() == ["D-2", "D-7"]
    assert walks == [4, 4]


def test_show_more_brings_the_following_page_within_reach_of_the_background():
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i) for i in range(1, 9)))
    table.take_ahead(10)
    assert not table.has_ahead()
    table.show_more()
    assert table.next_page() == ["D-5", "D-6"] and table.take_ahead(10) == ["D-5", "D-6"]


def test_a_row_moving_into_the_next_page_is_built_ahead():
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i * 10) for i in range(1, 9)))
    table.take_ahead(10)
    table.upsert("D-8", delivery("D-8", eta_minutes=25))  # between D-2 (20) and D-3 (30): the next page
    assert table.window() == ["D-1", "D-2"] and table.next_page() == ["D-8", "D-3"]
    assert table.take_ahead(10) == ["D-8"]


def test_the_window_is_the_first_page_of_matching_ids_and_show_more_adds_a_page():
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i) for i in range(1, 6)))
    assert table.window() == ["D-1", "D-2"]
    table.show_more()
    assert table.window() == ["D-1", "D-2", "D-3", "D-4"]
    assert table.is_shown("D-4") and not table.is_shown("D-5")


def test_queued_ids_the_window_needs_are_taken_off_the_queue():
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i) for i in range(1, 6)))
    assert table.unbuilt(table.window()) == ["D-1", "D-2"]
    assert table.unbuilt(table.window()) == []
    assert table.take_ahead(10) == ["D-3", "D-4"] and table.is_queued("D-5")


def test_an_update_moves_a_row_into_the_window_and_marks_parked_rows_waiting():
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i) for i in range(1, 6)))
    build_all(table)
    table.window()
    far = table.upsert("D-5", delivery("D-5", eta_minutes=50), live=True)
    assert not far.moved and table.waiting == {"D-5": True}
    near = table.upsert("D-4", delivery("D-4", eta_minutes=0))
    assert near.moved and table.window() == ["D-4", "D-1"]
    assert table.waiting == {"D-5": True, "D-4": False}
    assert table.drawn("D-4") is False and table.take_waiting(5) == [("D-5", True)] and table.waiting == {}


def test_a_new_delivery_is_new_and_a_gone_one_is_forgotten_everywhere():
    table = table_of(delivery("D-1"), delivery("D-2"))
    build_all(table)
    assert table.upsert("D-9", delivery("D-9", eta_minutes=1)).new
    assert table.window() == ["D-9", "D-1"] and table.counts()["all"] == 3
    assert table.upsert("D-9", None).gone and not table.upsert("D-9", None).gone
    assert table.window() == ["D-1", "D-2"] and table.counts()["all"] == 2 and "D-9" not in table.order


def test_an_update_to_a_queued_id_stays_queued():
    table = table_of(delivery("D-1"), delivery("D-2"))
    result = table.upsert("D-2", delivery("D-2", status="assigned"))
    assert not result.new and table.is_queued("D-2") and table.waiting == {}
    assert table.counts()["assigned"] == 1
    table.upsert("D-2", None)
    assert not table.is_queued("D-2") and table.take_ahead(5) == ["D-1"] and table.unbuilt_count() == 0


def test_a_snapshot_keeps_built_rows_built_marks_parked_ones_waiting_and_names_the_gone():
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i) for i in range(1, 5)))
    build_all(table)
    table.window()
    result = table.reset([delivery("D-1"), delivery("D-2"), delivery("D-3"), delivery("D-7")])
    assert result.gone == ["D-4"]
    assert table.unbuilt_count() == 1 and table.is_queued("D-7")
    assert table.waiting == {"D-3": False}


def test_a_new_filter_rematches_shows_the_first_page_and_builds_its_matches_ahead():
    table = table_of(delivery("D-1", zone="Z-2"), delivery("D-2"), delivery("D-3", zone="Z-2"), page=1)
    table.show_more()
    changed = table.set_filters(Filters(zone="Z-2"))
    assert changed.matched and not changed.sorted
    assert table.limit == 1 and table.window() == [] and table.counts()["shown"] is None
    assert table.count_some(1) == 1 and table.window() == ["D-1"] and table.counts()["shown"] is None
    assert count_all(table) == 2 and table.counts()["shown"] == 2
    assert table.take_ahead(5) == ["D-1", "D-3"] and table.is_queued("D-2")


def test_a_new_sort_reorders_and_keeps_the_page():
    table = table_of(delivery("D-1", eta_minutes=1), delivery("D-2", status="in_transit", eta_minutes=2), page=1)
    table.show_more()
    changed = table.set_filters(Filters(sort="status", descending=True))
    assert changed.sorted and not changed.matched and table.limit == 2
    assert table.sorting and table.window() == ["D-1", "D-2"], "the old order until the new one is built"
    count_all(table, step=1)
    assert table.window() == ["D-2", "D-1"]


def test_the_tick_flips_late_ids_and_rematches_under_the_late_filter():
    clock = Clock()
    table = table_of(delivery("D-1", eta_minutes=5), delivery("D-2", eta_minutes=50),
                     delivery("D-3", status="delivered", eta_minutes=1), filters=Filters(status="late"), clock=clock)
    assert table.window() == [] and table.counts()["late"] == 0
    clock.ts += 10 * 60
    assert table.tick() == {"D-1"}
    assert table.window() == ["D-1"] and table.counts()["late"] == 1
    assert table.tick() == set()


def test_the_filters_use_the_injected_clock_not_the_machine_clock():
    clock = Clock()
    table = table_of(delivery("D-1", eta_minutes=5), clock=clock)
    clock.ts += 3600
    table.set_filters(Filters(status="late"))
    count_all(table)
    assert table.window() == ["D-1"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.sampled_from(STATUSES + (None,)), st.integers(-30, 60),
                          st.sampled_from(("Z-1", "Z-2"))), max_size=40),
       st.sampled_from([Filters(), Filters(status="open"), Filters(zone="Z-2", sort="status"),
                        Filters(status="late", descending=True)]),
       st.integers(1, 4))
def test_incremental_state_equals_a_recount_after_any_changes(steps, filters, page):
    clock = Clock()
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i * 7) for i in range(6)), page=page, clock=clock,
                     filters=filters)
    table.take_ahead(3)
    now_ts = clock()
    for number, (i, status, eta, zone) in enumerate(steps):
        item = None if status is None else delivery(f"D-{i}", status=status, eta_minutes=eta, zone=zone)
        table.upsert(f"D-{i}", item, live=True)
        if number % 5 == 0:
            table.window()
    every = {d_id: f for d_id, f in table.facts.items()}
    expected_counts = count(every.values(), now_ts)
    got = table.counts()
    assert {k: got[k] for k in expected_counts} == expected_counts
    assert table.matched == {i for i, f in every.items() if matches(f, filters, now_ts)}
    ordered = sorted(table.matched, key=lambda i: order_key(every[i], filters))
    assert table.window() == ordered[:page]
    assert not (set(table.waiting) & {i for i in every if table.is_queued(i)})
    assert table.next_page() == ordered[page:2 * page]


def play(table, clock, steps) -> None:
    """Apply generated steps: ``("advance", minutes)`` ticks the clock on, ``(i, status, eta)`` upserts D-i
    (a None status removes it); one last tick."""
    for step in steps:
        if step[0] == "advance":
            clock.ts += step[1] * 60
            table.tick()
            continue
        i, status, eta = step
        table.upsert(f"D-{i}", None if status is None else delivery(f"D-{i}", status=status, eta_minutes=eta))
    table.tick()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(1, 40).map(lambda minutes: ("advance", minutes)),
                          st.tuples(st.integers(0, 8), st.sampled_from(STATUSES + (None,)), st.integers(-30, 90))),
                max_size=40))
def test_the_late_set_after_any_changes_and_ticks_equals_a_recount(steps):
    clock = Clock()
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i * 9) for i in range(8)), clock=clock,
                     filters=Filters(status="late"))
    play(table, clock, steps)
    now_ts = clock()
    late = {i for i, f in table.facts.items() if f.open and f.eta_ts is not None and f.eta_ts < now_ts}
    assert table.late == late and table.counts()["late"] == len(late)
    assert table.matched == late


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(1, 40).map(lambda minutes: ("advance", minutes)),
                          st.tuples(st.integers(0, 8), st.sampled_from(STATUSES + (None,)), st.integers(-30, 90))),
                max_size=60))
def test_the_late_set_stays_right_while_outdated_etas_are_swept(steps):
    """With no slack, sweeps run all the time: the tick reads the sweep and the new heap alike."""
    clock = Clock()
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i * 9) for i in range(8)), clock=clock)
    table.AHEAD_SLACK, table.SWEEP_STEP = 0, 1
    play(table, clock, steps)
    now_ts = clock()
    assert table.late == {i for i, f in table.facts.items() if f.open and f.eta_ts is not None and f.eta_ts < now_ts}


def test_revised_etas_keep_the_heap_bounded_and_each_change_touches_few_entries():
    """The ETA heap's outdated entries are swept a few per change, never in one pass over all of them."""
    n = 50
    table = table_of(*(delivery(f"D-{i}", eta_minutes=30 + i) for i in range(n)))
    table.AHEAD_SLACK = 16
    looked = []
    due = table._due
    table._due = lambda delivery_id, eta_ts: looked.append(1) or due(delivery_id, eta_ts)
    most_entries, most_looked = 0, 0
    for step in range(5000):
        looked.clear()
        table.upsert(f"D-{step % n}", delivery(f"D-{step % n}", eta_minutes=31 + step % 997))
        most_looked = max(most_looked, len(looked))
        most_entries = max(most_entries, len(table._ahead) + len(table._sweep))
    assert most_looked <= table.SWEEP_STEP
    assert most_entries <= 2 * (2 * n + table.AHEAD_SLACK)


def test_a_new_filter_counts_in_sort_order_and_its_window_fills_from_what_is_counted():
    table = table_of(*(delivery(f"D-{i}", eta_minutes=i, zone="Z-2" if i % 3 else "Z-1") for i in range(1, 301)))
    table.set_filters(Filters(zone="Z-1"))
    assert table.count_some(4) == 4 and table.window() == ["D-3"] and table.next_page() == []
    assert table.count_some(8) == 8 and table.matched == {"D-3", "D-6", "D-9", "D-12"}, "12 looked at, no more"
    assert table.window() == ["D-3", "D-6"] and table.next_page() == ["D-9", "D-12"]
    table.upsert("D-200", delivery("D-200", eta_minutes=0, zone="Z-1"))  # moved into the counted part: shown
    table.upsert("D-6", delivery("D-6", eta_minutes=500, zone="Z-1"))  # moved out of it: not shown yet
    assert table.window() == ["D-200", "D-3"] and table.next_page() == ["D-9", "D-12"]
    assert table.counting and table.counts()["shown"] is None
    count_all(table, step=1000)
    assert table.counts()["shown"] == 101 and table.matched == {f"D-{i}" for i in range(3, 301, 3)} | {"D-200"}
    assert table.window() == ["D-200", "D-3"] and table.next_page()[-1] == "D-12"


def test_a_snapshot_during_a_count_ends_it_with_the_full_match():
    table = table_of(*(delivery(f"D-{i}", zone="Z-2" if i % 2 else "Z-1") for i in range(10)))
    table.set_filters(Filters(zone="Z-2"))
    table.count_some(3)
    table.reset([delivery(f"D-{i}", zone="Z-2") for i in range(4)])
    assert not table.counting and table.counts()["shown"] == 4 and table.count_some(5) == 0


CHANGE = st.one_of(
    st.integers(1, 40).map(lambda minutes: ("advance", minutes)),
    st.integers(1, 7).map(lambda n: ("count", n)),
    st.integers(1, 7).map(lambda n: ("sort", n)),
    st.just(("window",)),
    st.tuples(st.integers(0, 14), st.sampled_from(STATUSES + (None,)), st.integers(-30, 90),
              st.sampled_from(("Z-1", "Z-2"))),
)
VIEWS = [Filters(), Filters(status="open"), Filters(zone="Z-2", sort="status"), Filters(status="late"),
         Filters(sort="status", descending=True), Filters(sort="eta", descending=True),
         Filters(status="late", descending=True, sort="priority"), Filters(query="mill", zone="Z-1")]


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(VIEWS), st.sampled_from(VIEWS), st.lists(CHANGE, max_size=50), st.integers(1, 4))
@example(Filters(), Filters(status="open"), [("count", 1), (0, "pending", 0, "Z-1"), ("window",)], 2)  # moved past
# what was counted, into what is not: the next step's matches go around it
def test_a_stepped_count_and_sort_with_live_changes_between_their_steps_end_as_a_one_shot_view(
        first, second, steps, page):
    """After all their steps, a new filter's count and a new sort's order (window, next page, chips)
    equal a computation from scratch, whatever upserts, removals, ticks and window walks came between."""
    clock = Clock()
    table = table_of(*(delivery(f"D-{i}", status=STATUSES[i % 5], eta_minutes=i * 7 - 20, zone=f"Z-{1 + i % 2}")
                       for i in range(10)), page=page, clock=clock, filters=first)
    table.take_ahead(3)
    table.set_filters(second)
    for step in steps:
        if step[0] == "advance":
            clock.ts += step[1] * 60
            table.tick()
        elif step[0] == "count":
            table.count_some(step[1])
        elif step[0] == "sort":
            table.sort_some(step[1])
        elif step[0] == "window":
            window, following = table.window(), table.next_page()
            assert all(table.is_match(i) for i in (*window, *following))
        else:
            i, status, eta, zone = step
            item = None if status is None else delivery(f"D-{i}", status=status, eta_minutes=eta, zone=zone)
            table.upsert(f"D-{i}", item, live=True)
    count_all(table, step=3)
    now_ts = clock()
    every = dict(table.facts)
    one_shot = {i for i, f in every.items() if matches(f, second, now_ts)}
    assert table.matched == one_shot and table.counts()["shown"] == len(one_shot)
    expected_counts = count(every.values(), now_ts)
    assert {k: table.counts()[k] for k in expected_counts} == expected_counts
    ordered = sorted(one_shot, key=lambda i: order_key(every[i], second))
    assert table.window() == ordered[:table.limit] and table.next_page() == ordered[table.limit:table.limit + page]


def test_a_new_sort_is_built_in_steps_and_live_changes_meanwhile_land_in_the_new_order():
    table = table_of(*(delivery(f"D-{i}", status=STATUSES[i % 3], eta_minutes=i) for i in range(1, 61)), page=3)
    table.set_filters(Filters(sort="status", descending=True))
    steps = [table.sort_some(7)]
    assert table.sorting and table.window() == ["D-1", "D-2", "D-3"]
    table.upsert("D-59", delivery("D-59", status="pending", eta_minutes=0))  # in the old order: first
    table.upsert("D-6", None)
    table.upsert("D-61", delivery("D-61", status="in_transit", eta_minutes=200))
    assert table.window()[0] == "D-59"
    for _ in range(100):
        did = table.sort_some(7)
        if not did:
            break
        steps.append(did)
    assert not table.sorting and max(steps) <= 7 and len(steps) > 60 // 7
    every = table.facts
    expected = sorted(every, key=lambda i: order_key(every[i], table.filters))
    assert table.order.ids() == expected and expected[:2] == ["D-2", "D-5"] and "D-6" not in expected
    assert table.window() == expected[:3] and "D-61" in expected
