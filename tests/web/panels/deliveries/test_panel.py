"""app/web/panels/deliveries: the panel through the seam (a fake page): window, live changes, filters, commands."""

from datetime import datetime, timedelta, timezone

from app.command import RowStatus
from app.rollback import Rollback
from app.web import localtime
from app.web.fake_dom import Event
from app.web.panels.deliveries import DeliveriesPanel
from app.web.panels.deliveries.panel import CHUNK
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


def test_a_window_of_rows_in_eta_order_the_rest_parked_and_all_built():
    panel, _ = mount(world())
    assert shown(panel) == ["D-1", "D-2", "D-3", "D-4", "D-5"]
    assert len(panel.parked.children) == 7 and all(tr.hidden for tr in panel.parked.children)
    assert panel.toolbar.count_text.textContent == "12 deliveries"
    assert panel.toolbar.chips["pending"].getAttribute("data-count") == "12"
    assert panel.more_text.textContent == "Showing the first 5 of 12."
    assert cell(panel, "D-2", "customer").textContent == "Customer 2"
    assert cell(panel, "D-2", "zoneId").getAttribute("title") == "Harbour (Z-1)"
    assert panel.parked.getAttribute("data-caught-up") == "true"


def test_a_snapshot_bigger_than_a_chunk_is_built_a_chunk_per_turn():
    client = FakeClient([delivery(i) for i in range(1, CHUNK + 200)])
    panel = DeliveriesPanel(section(), context(client)).mount()
    assert len(panel.rows) < len(client.deliveries())
    turns(5)
    assert len(panel.rows) == len(client.deliveries())


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
    client.put(delivery(11, customer="Someone Else"))
    publish(ctx, deliveries={"D-11"}, event_types={"delivery_update"})
    assert cell(panel, "D-11", "customer").textContent == "Customer 11"
    assert panel.parked.getAttribute("data-caught-up") == "false"
    panel._last_live = 0.0  # the stream paused
    panel._catch_up()
    assert cell(panel, "D-11", "customer").textContent == "Someone Else"
    assert panel.parked.getAttribute("data-caught-up") == "true"


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


def test_a_row_built_after_the_selection_was_made_carries_data_selected():
    client = FakeClient([delivery(i) for i in range(1, CHUNK + 200)])
    ctx = context(client)
    panel = DeliveriesPanel(section(), ctx).mount()
    late = f"D-{CHUNK + 150}"
    assert late not in panel.rows  # still queued: built by a later chunk
    ctx.notes["selection"].select("delivery", late)
    client.put(delivery(CHUNK + 300))
    ctx.notes["selection"].select("delivery", f"D-{CHUNK + 300}")  # selected before its row exists
    publish(ctx, deliveries={f"D-{CHUNK + 300}"}, event_types={"delivery_created"})
    turns(5)
    assert panel.ops.node(f"D-{CHUNK + 300}").getAttribute("data-selected") == "true"
    ctx.notes["selection"].select("delivery", late)
    assert panel.ops.node(late).getAttribute("data-selected") == "true"
    assert panel.ops.node(f"D-{CHUNK + 300}").getAttribute("data-selected") is None
