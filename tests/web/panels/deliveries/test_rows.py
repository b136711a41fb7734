"""app/web/panels/deliveries/rows.py: a row drawn through RowOps, only where it changed; late, names, notes."""

from datetime import datetime, timedelta, timezone

from app.command import RowStatus
from app.eta import timestamp
from app.rollback import Rollback
from app.web.dom import el
from app.web.panels.deliveries.rows import CONTROL_CELLS, C_ID, DrawnRow, RowPainter, row_prototype
from app.web.row_ops import RowOps
from tests.web.fakes import FakeClient, delivery, section

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)


def painter(client=None):
    root = section()
    body, parked = el("tbody"), el("tbody")
    root.appendChild(body)
    ops = RowOps(body, parked, row_prototype(), id_cell=C_ID, control_cells=CONTROL_CELLS)
    announced = []
    paint = RowPainter(ops, client or FakeClient(), announced.append)
    paint.zone_names = {"Z-1": "Harbour"}
    paint.staff_names = {"S-1": "Grace Okafor"}
    return paint, announced


def drawn(paint, item, now=NOW):
    row = DrawnRow(item.id)
    paint.new(row)
    paint.draw(row, item, (now, 0))
    paint.ops.flush()
    return row, paint.ops.node(item.id)


def field(node, name):
    return node.querySelector(f"[data-field={name}]")


def eta_in(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_new_row_shows_raw_values_and_words_and_names_beside_ids():
    paint, _ = painter()
    _, node = drawn(paint, delivery(1, status="in_transit", assignee="S-1", eta_minutes=0, priority="urgent")
                    .model_copy(update={"eta": eta_in(12)}))
    assert node.getAttribute("data-status") == "in_transit"
    assert (field(node, "status").getAttribute("data-value"), field(node, "status").textContent) == \
        ("in_transit", "In transit")
    assert field(node, "zoneId").getAttribute("title") == "Harbour (Z-1)"
    assert field(node, "assignedTo").textContent == "Grace Okafor (S-1)"
    assert field(node, "priority").getAttribute("data-value") == "urgent"
    assert field(node, "eta").querySelector(".eta-rel").textContent == "in 12 min"
    assert node.querySelector("select[data-action=set-status]").getAttribute("aria-label") == "Status of D-1"


def test_nobody_assigned_reads_unassigned_and_a_redraw_of_the_same_writes_nothing():
    paint, _ = painter()
    item = delivery(2)
    row, node = drawn(paint, item)
    assert field(node, "assignedTo").textContent == "Unassigned"
    assert paint.draw(row, item, (NOW, 0)) is False and paint.ops.ops == []


def test_a_changed_value_is_reported_and_written():
    paint, _ = painter()
    item = delivery(3)
    row, node = drawn(paint, item)
    assert paint.draw(row, item.model_copy(update={"customer": "Ada"}), (NOW, 0)) is True
    paint.ops.flush()
    assert field(node, "customer").textContent == "Ada"


def test_the_clock_makes_an_open_row_late_without_a_whole_draw():
    paint, _ = painter()
    item = delivery(4).model_copy(update={"eta": eta_in(5)})
    row, node = drawn(paint, item)
    assert "D-4" in paint.timed and node.getAttribute("data-late") is None
    assert paint.tick(row, timestamp(eta_in(7))) is True
    paint.ops.flush()
    assert node.getAttribute("data-late") == "true"
    assert field(node, "eta").querySelector(".eta-rel").textContent == "2 min late"


def test_a_closed_row_is_never_late_and_has_no_clock():
    paint, _ = painter()
    item = delivery(5, status="delivered").model_copy(update={"eta": eta_in(-30)})
    row, node = drawn(paint, item)
    assert "D-5" not in paint.timed and node.getAttribute("data-late") is None


def test_a_rollback_opens_the_note_box_once_announced_and_closes_when_gone():
    client = FakeClient([delivery(6)])
    paint, announced = painter(client)
    row, node = drawn(paint, delivery(6))
    client.statuses["D-6"] = RowStatus(error=Rollback("c-1", "set_status", "D-6", "server", "Server busy", 503, True))
    paint.draw_state(row)
    paint.draw_state(row)
    paint.ops.flush()
    box = node.querySelector("[data-testid=row-error]")
    assert not box.hidden and box.querySelector(".row-error-text").textContent == "Server busy"
    assert node.querySelector("[data-action=retry-command]").getAttribute("data-command") == "c-1"
    assert announced == ["D-6: Server busy"]
    client.statuses["D-6"] = RowStatus()
    paint.draw_state(row)
    paint.ops.flush()
    assert box.hidden and node.getAttribute("data-error") is None


def test_forget_names_makes_the_next_draw_write_the_name_again():
    paint, _ = painter()
    item = delivery(7, assignee="S-1")
    row, node = drawn(paint, item)
    paint.staff_names["S-1"] = "Grace Adeyemi"
    paint.forget_names(row, zone=False)
    paint.draw(row, item, (NOW, 0))
    paint.ops.flush()
    assert field(node, "assignedTo").getAttribute("title") == "Grace Adeyemi (S-1)"
