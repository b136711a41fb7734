"""app/web/row_ops.py: queued edits reach the page in one batch, with the codes of the one table (OPS)."""

import json

from app.web.dom import el
from app.web.row_ops import FIRST, LAST, OPS, ROW, RowOps, at, inside
from app.web.runtime import js
from tests.web.fakes import section, turns


def table():
    root = section()
    body, parked = el("tbody"), el("tbody")
    root.appendChild(body)
    prototype = el("tr", None, el("td", None, el("button")), el("td", None, el("span"), el("span")))
    return RowOps(body, parked, prototype, id_cell=0), body, parked


def test_the_codes_are_one_letter_each_and_distinct():
    assert len(set(OPS.values())) == len(OPS) and all(len(code) == 1 for code in OPS.values())


def test_edits_are_applied_in_one_flush_and_the_window_shows_exactly_its_rows():
    ops, body, parked = table()
    for row_id in ("D-1", "D-2", "D-3"):
        ops.new(row_id)
    ops.text("D-2", at(1, FIRST), "Ada")
    ops.attr("D-2", ROW, "data-status", "pending")
    ops.class_name("D-2", at(1), "wide")
    ops.window(["D-2", "D-1"])
    sent = json.dumps(ops.ops)
    assert json.loads(sent)[0][0] == OPS["new"] and not body.children
    ops.flush()
    assert [tr.getAttribute("data-id") for tr in body.children] == ["D-2", "D-1"]
    node = ops.node("D-2")
    assert node.cells[1].firstChild.textContent == "Ada" and node.getAttribute("data-status") == "pending"
    assert node.cells[0].firstChild.textContent == "D-2" and node.cells[1].className == "wide"
    ops.attr("D-2", ROW, "data-status", None)
    ops.flash("D-2")
    ops.flash("D-3")
    ops.remove("D-1")
    ops.flush()
    assert not ops.node("D-2").hasAttribute("data-status") and ops.node("D-1") is None
    assert ops.table.flashed == ["D-2"]  # D-3 is parked


def test_a_forgotten_flush_happens_on_the_next_frame_and_close_frees_the_proxy():
    ops, body, _ = table()
    ops.new("D-1")
    ops.window(["D-1"])
    js.dcBridge.run()
    assert len(body.children) == 1
    ops.new("D-2")
    ops.close()
    js.dcBridge.run()
    assert ops.ops == [] and ops._owner._proxies == []


def test_a_target_inside_a_cell_walks_element_children_and_a_missing_one_is_skipped():
    ops, _, _ = table()
    ops.new("D-1")
    ops.text("D-1", inside(1, 0, 1), "second span")
    ops.text("D-1", inside(1, LAST, 0), "nowhere")  # the last span has no element child
    ops.flush()
    spans = ops.node("D-1").cells[1].children
    assert [span.textContent for span in spans] == ["", "second span"]
