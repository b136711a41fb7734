"""app/web/panels/deliveries: the panel through the seam (a fake page): window, live changes, filters, commands."""

import time
from datetime import datetime, timedelta, timezone

from app.command import RowStatus
from app.rollback import Rollback
from app.web import localtime
from app.web.fake_dom import Event
from app.web.panels.deliveries import DeliveriesPanel
from app.web.panels.deliveries.panel import CATCH_UP_BUSY, COUNT_STEP, SORT_STEP, TURN_SECONDS, TURN_STEP
from app.web.runtime import ProxyOwner, js
from tests.web.fakes import FakeClient, context, delivery, publish, section, staff, turns


def mount(client, prefs=None, page_rows=5):
    ctx = context(client, prefs, page_rows)
    panel = DeliveriesPanel(section(), ctx).mount()
    turns()
    return panel, ctx


def shown(panel) -> list[str]:
    return [tr.getAttribute("data-id") for tr in panel.tbody.children]


def cell(panel, delivery_id, field):
    return panel.ops.node(delivery_id).querySelector(f"[data-field={field}]")


def click(node):
    node.dispatchEvent(Event("click", target=node))


def change(node, value):
    node.value = value
    node.dispatchEvent(Event("change", target=node))


def world(n=12, **kw):
    return FakeClient([delivery(i) for i in range(1, n + 1)], [staff(1, "Grace Okafor")], **kw)


def test_a_window_of_rows_in_eta_order_the_next_page_parked_and_the_rest_not_built():
    panel, _ = mount(world())
    assert shown(panel) == ["D-1", "D-2", "D-3", "D-4", "D-5"]
    assert [tr.getAttribute("data-id") for tr in panel.parked.children] == ["D-6", "D-7", "D-8", "D-9", "D-10"]
    assert all(tr.hidden for tr in panel.parked.children)
    assert "D-11" not in panel.rows and panel.table.is_queued("D-12")
    assert panel.toolbar.count_text.textContent == "12 deliveries"
    assert panel.toolbar.chips["pending"].getAttribute("data-count") == "12"
    assert panel.more_text.textContent == "Showing the first 5 of 12."
    assert cell(panel, "D-2", "customer").textContent == "Customer 2"
    assert cell(panel, "D-2", "zoneId").getAttribute("title") == "Harbour (Z-1)"
    assert panel.parked.getAttribute("data-caught-up") == "true"


class Timer:
    """A turn's clock: every read moves it on by ``step`` seconds (0: time stands still)."""

    def __init__(self, step: float = 0.0):
        self.now, self.step = 100.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_big_snapshot_builds_the_window_at_once_and_only_the_next_page_in_later_turns():
    client = FakeClient([delivery(i) for i in range(1, 1001)])
    panel = DeliveriesPanel(section(), context(client, page_rows=100)).mount()
    assert len(panel.rows) == 100 and len(shown(panel)) == 100
    turns()
    assert len(panel.rows) == 200 and not panel.chunks.scheduled
    assert set(panel.rows) == {f"D-{i}" for i in range(1, 201)}


def test_show_more_finds_its_rows_built_and_the_following_page_is_built_behind_it():
    client = FakeClient([delivery(i) for i in range(1, 1001)])
    panel = DeliveriesPanel(section(), context(client, page_rows=100)).mount()
    turns()
    built = panel.painter.new
    made = []
    panel.painter.new = lambda row: (made.append(row.id), built(row))[1]
    click(panel.more.querySelector("button"))
    assert len(shown(panel)) == 200 and made == []  # nothing built while the click waits
    assert cell(panel, "D-150", "customer").textContent == "Customer 150"
    turns()
    assert made == [f"D-{i}" for i in range(201, 301)]


def test_a_filter_builds_the_rows_of_its_window_at_once():
    client = FakeClient([delivery(i, status="assigned" if i > 900 else "pending") for i in range(1, 1001)])
    panel = DeliveriesPanel(section(), context(client, page_rows=50)).mount()
    turns()
    click(panel.toolbar.chips["assigned"])
    assert shown(panel) == [f"D-{i}" for i in range(901, 951)]
    assert cell(panel, "D-950", "status").getAttribute("data-value") == "assigned"
    turns()
    assert all(f"D-{i}" in panel.rows for i in range(951, 1001))


def test_each_background_building_turn_stops_once_its_time_is_spent_not_after_a_row_count():
    client = FakeClient([delivery(i) for i in range(1, 1001)])
    panel = DeliveriesPanel(section(), context(client, page_rows=500))
    panel._timer = Timer(step=TURN_SECONDS / 2)  # two steps of rows use up a turn
    panel.mount()
    assert len(panel.rows) == 500  # the window, built at once
    panel._build_chunk()
    assert len(panel.rows) == 500 + 2 * TURN_STEP
    panel._timer = Timer(step=0.0)  # rows that cost no time: one turn builds the whole next page
    panel._build_chunk()
    assert len(panel.rows) == 1000 and not panel.table.has_ahead()


def test_a_filter_on_a_big_board_shows_its_window_at_once_and_counts_the_rest_in_timed_turns():
    """The window is there in the click's turn; the "N shown" count comes after some turns,
    each within its time; the announcement and the map's pins wait for the full count."""
    client = FakeClient([delivery(i, status="assigned" if i % 4 == 0 else "pending") for i in range(1, 4001)])
    ctx = context(client, page_rows=50)
    refiltered = []
    ctx.notes["pins_refilter"] = lambda: refiltered.append(len(panel.table.matched))
    panel = DeliveriesPanel(section(), ctx)
    panel._timer = Timer(step=TURN_SECONDS / 2)  # two count steps use up a turn
    panel.mount()
    turns()
    click(panel.toolbar.chips["assigned"])
    assert shown(panel) == [f"D-{i}" for i in range(4, 201, 4)]
    count = panel.toolbar.count_text
    assert count.textContent == "Counting the matches of 4000…" and count.getAttribute("data-shown") is None
    assert panel.more_text.textContent == "Showing the first 50 (counting the rest)."
    assert panel.counting.scheduled and refiltered == [] and panel._matches("D-3996")
    client.put(delivery(4001, status="assigned", eta_minutes=-5))  # a live change while counting: first in order
    client.put(delivery(8, status="pending"))  # ... and one that no longer matches
    publish(ctx, deliveries={"D-4001", "D-8"}, event_types={"delivery_update"})
    assert shown(panel)[:3] == ["D-4001", "D-4", "D-12"]
    steps = []
    count_some = panel.table.count_some
    panel.table.count_some = lambda n: steps.append(n) or count_some(n)
    turns(4000 // (2 * COUNT_STEP) + 5)
    assert not panel.counting.scheduled and steps and max(steps) == COUNT_STEP
    assert count.textContent == "1000 of 4001 shown" and count.getAttribute("data-shown") == "1000"
    assert refiltered == [1000] and panel.announcer.textContent == "1000 of 4001 deliveries shown"
    assert panel.more_text.textContent == "Showing the first 50 of 1000."
    assert shown(panel)[:3] == ["D-4001", "D-4", "D-12"]
    panel.unmount()  # its background turns would run on in the next test's
    js.dcBridge.run()  # ... and the page frees its proxies on its next frame


def test_a_count_in_progress_is_dropped_by_the_next_filter_and_by_unmounting():
    client = FakeClient([delivery(i, status="assigned" if i % 2 else "pending") for i in range(1, 3001)])
    panel = DeliveriesPanel(section(), context(client, page_rows=20))
    panel._timer = Timer(step=TURN_SECONDS)  # one count step a turn
    panel.mount()
    click(panel.toolbar.chips["assigned"])
    assert panel.counting.scheduled and panel.table.counting
    click(panel.toolbar.chips["pending"])
    assert shown(panel)[:2] == ["D-2", "D-4"] and panel.table.counting
    turns(3000 // COUNT_STEP + 5)
    assert panel.toolbar.count_text.textContent == "1500 of 3000 shown"
    click(panel.toolbar.chips["pending"])  # off again
    assert panel.counting.scheduled
    panel.unmount()
    js.dcBridge.run()
    assert not panel.counting.scheduled


def test_a_new_sort_on_a_big_board_is_built_in_timed_turns_then_the_window_takes_its_order():
    client = FakeClient([delivery(i, status="in_transit" if i % 10 == 0 else "pending") for i in range(1, 3001)])
    ctx = context(client, page_rows=20)
    panel = DeliveriesPanel(section(), ctx)
    panel._timer = Timer(step=TURN_SECONDS / 2)  # two build steps use up a turn
    panel.mount()
    turns()
    steps = []
    sort_some = panel.table.sort_some
    panel.table.sort_some = lambda n: steps.append(n) or sort_some(n)
    change(panel.toolbar.selects["sort"], "-status")
    assert panel.sort_heads["status"].getAttribute("aria-sort") == "descending"
    assert shown(panel)[:2] == ["D-1", "D-2"] and panel.tbody.getAttribute("aria-busy") == "true"
    assert len(steps) <= 2
    client.put(delivery(5, status="in_transit", eta_minutes=-1))  # a live change while the order is built
    publish(ctx, deliveries={"D-5"}, event_types={"delivery_update"})
    turns(3 * 3000 // SORT_STEP + 10)
    assert not panel.table.sorting and panel.tbody.getAttribute("aria-busy") == "false"
    assert shown(panel)[:3] == ["D-5", "D-10", "D-20"] and max(steps) == SORT_STEP
    assert panel.toolbar.count_text.textContent == "3000 deliveries"
    panel.unmount()
    js.dcBridge.run()


def parked_and_changed(n=1000, changed=500):
    """A mounted panel with every row built (half shown, half parked), and ``changed`` parked rows
    waiting with a live change."""
    client = FakeClient([delivery(i) for i in range(1, n + 1)])
    panel = DeliveriesPanel(section(), context(client, page_rows=n // 2))
    panel._timer = Timer(step=0.0)
    panel.mount()
    turns()
    ids = [f"D-{i}" for i in range(n - changed + 1, n + 1)]
    for i in range(n - changed + 1, n + 1):
        client.put(delivery(i, customer="Changed"))
    publish(panel.ctx, deliveries=set(ids), event_types={"delivery_update"})
    assert len(panel.table.waiting) == changed
    return panel


def test_once_the_stream_pauses_each_catch_up_turn_stops_once_its_time_is_spent_and_the_next_follows():
    panel = parked_and_changed()
    panel._last_live = 0.0  # the stream paused
    panel._timer = Timer(step=TURN_SECONDS / 2)
    panel._catch_up()
    assert len(panel.table.waiting) == 500 - 2 * TURN_STEP
    assert "catch_up" in panel._handles  # the next turn is already scheduled (after a frame, not 0.25 s)
    panel._timer = Timer(step=0.0)
    panel._catch_up()
    assert not panel.table.waiting and panel.parked.getAttribute("data-caught-up") == "true"


def test_while_live_changes_keep_coming_a_catch_up_turn_draws_a_few_rows_however_fast_they_are():
    panel = parked_and_changed()
    panel._last_live = time.monotonic() + 3600  # a change just came (and the clock cannot pass it)
    panel._catch_up()
    assert len(panel.table.waiting) == 500 - CATCH_UP_BUSY


def test_a_live_change_moves_a_parked_row_into_the_window_drawn_and_flashed():
    client = world()
    panel, ctx = mount(client)
    client.put(delivery(9, eta_minutes=-30, status="assigned"))
    publish(ctx, deliveries={"D-9"}, event_types={"delivery_update"})
    assert shown(panel)[0] == "D-9" and len(shown(panel)) == 5
    assert cell(panel, "D-9", "status").getAttribute("data-value") == "assigned"
    assert panel.ops.node("D-9").getAttribute("data-late") == "true"
    assert "D-9" in panel.ops.table.flashed


def test_a_parked_row_waits_to_be_drawn_and_is_caught_up_in_the_background():
    client = world()
    panel, ctx = mount(client)
    client.put(delivery(9, customer="Someone Else"))
    publish(ctx, deliveries={"D-9"}, event_types={"delivery_update"})
    assert cell(panel, "D-9", "customer").textContent == "Customer 9"
    assert panel.parked.getAttribute("data-caught-up") == "false"
    panel._last_live = 0.0  # the stream paused
    panel._catch_up()
    assert cell(panel, "D-9", "customer").textContent == "Someone Else"
    assert panel.parked.getAttribute("data-caught-up") == "true"


def test_a_live_change_to_an_unbuilt_row_builds_nothing_until_the_row_is_needed():
    client = world()
    panel, ctx = mount(client)
    client.put(delivery(12, customer="Someone Else"))
    publish(ctx, deliveries={"D-12"}, event_types={"delivery_update"})
    assert "D-12" not in panel.rows and not panel.table.waiting
    client.put(delivery(12, customer="Someone Else", eta_minutes=-5))  # now the earliest: into the window
    publish(ctx, deliveries={"D-12"}, event_types={"delivery_update"})
    assert shown(panel)[0] == "D-12" and cell(panel, "D-12", "customer").textContent == "Someone Else"


def test_a_gone_delivery_leaves_and_a_new_one_comes_in():
    client = world()
    panel, ctx = mount(client)
    client.drop("D-1")
    client.put(delivery(40, eta_minutes=0.5))
    publish(ctx, deliveries={"D-1", "D-40"}, event_types={"delivery_update"})
    assert shown(panel)[:2] == ["D-40", "D-2"] and "D-1" not in panel.rows
    assert panel.toolbar.count_text.textContent == "12 deliveries"


def test_a_status_chip_filters_and_the_prefs_keep_it():
    client = world()
    client.put(delivery(3, status="delivered"))
    panel, ctx = mount(client)
    click(panel.toolbar.chips["delivered"])
    assert shown(panel) == ["D-3"] and ctx.prefs["deliveries"]["status"] == "delivered"
    assert panel.toolbar.count_text.textContent == "1 of 12 shown"
    assert not panel.toolbar.clear_button.hidden
    click(panel.toolbar.clear_button)
    assert len(shown(panel)) == 5 and ctx.prefs["deliveries"]["status"] == ""


def test_the_filters_come_back_from_the_prefs():
    panel, _ = mount(world(), prefs={"deliveries": {"query": "customer 7"}})
    assert shown(panel) == ["D-7"] and panel.search.value == "customer 7"


def test_search_sort_and_show_more():
    panel, _ = mount(world())
    panel.search.value = "mill lane"
    panel.search.dispatchEvent(Event("change", target=panel.search))
    assert len(shown(panel)) == 5
    change(panel.toolbar.selects["sort"], "-eta")
    assert shown(panel)[0] == "D-12"
    assert panel.sort_heads["eta"].getAttribute("aria-sort") == "descending"
    click(panel.more.querySelector("button"))
    assert len(shown(panel)) == 10


def test_nothing_matches_shows_the_empty_note():
    panel, _ = mount(world())
    change(panel.toolbar.selects["zone"], "Z-1")
    change(panel.toolbar.selects["priority"], "urgent")
    assert shown(panel) == [] and not panel.empty.hidden


def test_set_status_shows_at_once_as_pending():
    client = world()
    panel, _ = mount(client)
    select = panel.ops.node("D-2").querySelector("select[data-action=set-status]")
    assert len(select.querySelectorAll("option")) == 7  # every status, without a focus first
    change(select, "delivered")
    assert client.commands == [("set_status", "D-2", "delivered")]
    assert panel.ops.node("D-2").getAttribute("data-pending") == "true"


def test_a_refused_command_shows_its_reason_in_the_row_and_dismiss_hides_it():
    client = world()
    client.refuse = "That status is not allowed"
    panel, _ = mount(client)
    combobox = panel.ops.node("D-2").querySelector("input[data-action=assign][role=combobox]")
    combobox.dispatchEvent(Event("focusin", target=combobox))
    option = panel.root.querySelector("[role=option][data-value=S-1]")
    assert option.textContent == "Grace Okafor (S-1)Available · Harbour (Z-1)"
    option.dispatchEvent(Event("click", target=option))
    box = panel.ops.node("D-2").querySelector("[data-testid=row-error]")
    assert box.querySelector(".row-error-text").textContent == "That status is not allowed" and not box.hidden
    assert panel.announcer.textContent == "D-2: That status is not allowed"
    click(box.querySelector("[data-action=dismiss-error]"))
    assert box.hidden


def test_a_rollback_offers_retry_when_it_is_safe():
    client = world()
    panel, ctx = mount(client)
    client.statuses["D-3"] = RowStatus(error=Rollback("c-9", "set_status", "D-3", "server", "Server busy", 503, True))
    publish(ctx, deliveries={"D-3"})
    retry = panel.ops.node("D-3").querySelector("[data-action=retry-command]")
    assert not retry.hidden and retry.getAttribute("data-command") == "c-9"
    click(retry)
    assert ("retry", "c-9") in client.commands


def test_a_renamed_staff_member_is_redrawn_beside_their_id():
    client = world()
    client.put(delivery(2, assignee="S-1"))
    panel, ctx = mount(client)
    assert cell(panel, "D-2", "assignedTo").getAttribute("title") == "Grace Okafor (S-1)"
    client.put_staff(staff(1, "Grace Adeyemi"))
    publish(ctx, staff={"S-1"})
    assert cell(panel, "D-2", "assignedTo").getAttribute("title") == "Grace Adeyemi (S-1)"


def test_the_tick_marks_a_row_late_when_its_eta_passes(monkeypatch):
    client = world()
    panel, _ = mount(client)
    assert panel.ops.node("D-1").getAttribute("data-late") is None
    later = datetime.now(timezone.utc) + timedelta(minutes=2, seconds=30)
    monkeypatch.setattr(localtime, "now", lambda: later)
    panel._tick()
    row = panel.ops.node("D-1")
    assert row.getAttribute("data-late") == "true"
    assert panel.toolbar.chips["late"].getAttribute("data-count") == "2"


def test_unmount_frees_every_proxy_and_the_rows():
    before = ProxyOwner.live()
    panel, _ = mount(world())
    assert ProxyOwner.live() > before
    panel.unmount()
    js.dcBridge.run()
    assert ProxyOwner.live() == before and panel.root.childNodes == []


def test_a_parked_row_reads_the_clock_of_now_when_it_comes_into_the_window(monkeypatch):
    panel, _ = mount(world())
    later = datetime.now(timezone.utc) + timedelta(minutes=30)
    monkeypatch.setattr(localtime, "now", lambda: later)
    panel._tick()
    click(panel.more.querySelector("button"))
    row = panel.ops.node("D-8")
    assert row.getAttribute("data-late") == "true"
    assert row.querySelector("[data-field=eta] .eta-rel").textContent.endswith("min late")


def test_the_assign_combobox_filters_as_you_type_and_takes_arrows_enter_and_escape():
    client = FakeClient([delivery(i) for i in range(1, 4)],
                        [staff(1, "Grace Okafor"), staff(2, "Dev Silva", zone="Z-2"), staff(3, "Ada Brooks")])
    panel, _ = mount(client)
    combobox = panel.ops.node("D-1").querySelector("input[role=combobox]")
    combobox.dispatchEvent(Event("focusin", target=combobox))
    listbox = panel.root.querySelector("[role=listbox]")
    assert combobox.getAttribute("aria-expanded") == "true" and not listbox.hidden
    assert [o.getAttribute("data-value") for o in listbox.children] == ["", "S-3", "S-2", "S-1"]
    combobox.value = "s-2"
    combobox.dispatchEvent(Event("input", target=combobox))
    assert [o.getAttribute("data-value") for o in listbox.children] == ["S-2"]
    combobox.value = "harbour"  # by zone name
    combobox.dispatchEvent(Event("input", target=combobox))
    assert [o.getAttribute("data-value") for o in listbox.children] == ["S-3", "S-1"]
    combobox.dispatchEvent(Event("keydown", target=combobox, key="ArrowDown"))
    assert combobox.getAttribute("aria-activedescendant") == listbox.children[1].getAttribute("id")
    combobox.dispatchEvent(Event("keydown", target=combobox, key="Enter"))
    assert client.commands == [("assign", "D-1", "S-1")] and listbox.hidden
    assert panel.ops.node("D-1").querySelector("[data-field=assignedTo]").getAttribute("data-value") == "S-1"
    assert combobox.getAttribute("data-value") == "S-1"
    combobox.dispatchEvent(Event("focusin", target=combobox))
    combobox.dispatchEvent(Event("keydown", target=combobox, key="Escape"))
    assert listbox.hidden and combobox.getAttribute("aria-expanded") == "false" and len(client.commands) == 1


def test_a_delivery_selected_before_its_row_is_built_shows_selected_once_built():
    client = world()
    panel, ctx = mount(client)
    panel.selection.select("delivery", "D-12")  # the map's pin, say: its row is not built
    assert "D-12" not in panel.rows
    click(panel.toolbar.chips["pending"])  # any refilter; then the row comes into the window
    client.put(delivery(12, eta_minutes=-5))
    publish(ctx, deliveries={"D-12"}, event_types={"delivery_update"})
    assert panel.ops.node("D-12").getAttribute("data-selected") == "true"


def test_another_users_board_replaces_a_big_one_whose_rows_were_never_all_built():
    """Another user signing in empties the board, then loads theirs: most of the first board's
    deliveries never had a row, and dropping them raised KeyError, which left rows of the first
    board behind (PROTOCOL.md 2: another user gets a fresh board)."""
    client = world(40)
    panel, ctx = mount(client)
    assert 0 < len(panel.rows) < 40  # a window and the next page built; the rest not
    for item in list(client.deliveries()):
        client.drop(item.id)
    publish(ctx, reset=True)
    assert panel.rows == {} and shown(panel) == []
    assert not any(isinstance(e.error, KeyError) for e in ctx.hub.errors)
    for i in range(101, 109):
        client.put(delivery(i))
    publish(ctx, reset=True)
    turns()
    assert shown(panel) == [f"D-{i}" for i in range(101, 106)]
    assert set(panel.rows) <= {f"D-{i}" for i in range(101, 109)} and not ctx.hub.errors
