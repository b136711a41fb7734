"""app/web/fake_scripts.py: the page's JavaScript modules, faked, do what the modules do with the same operations."""

import json

import pytest

from app.web.fake_dom import Document
from app.web.fake_scripts import Frames, MapCanvas, RowTable, tables

OPS = {"new": "n", "window": "w", "remove": "x", "text": "t", "attr": "a", "class": "c", "select": "s", "flash": "f"}


@pytest.fixture
def rows():
    doc = Document()
    body, parked = doc.createElement("tbody"), doc.createElement("div")
    prototype = doc.createElement("tr")
    for _ in range(2):
        cell = prototype.appendChild(doc.createElement("td"))
        cell.appendChild(doc.createElement("span"))
    table = RowTable(body, parked, prototype, 0, [], 60, json.dumps(OPS))
    yield table
    table.clear()


def test_rows_are_made_parked_and_shown_in_the_windows_order(rows):
    rows.apply(json.dumps([["n", "D-1"], ["n", "D-2"], ["n", "D-3"], ["w", ["D-3", "D-1"]]]))
    assert [tr.getAttribute("data-id") for tr in rows.body.children] == ["D-3", "D-1"]
    assert [tr.getAttribute("data-id") for tr in rows.parked.children] == ["D-2"]
    assert rows.node("D-2").hidden and not rows.node("D-3").hidden
    assert rows.node("D-1").cells[0].firstChild.textContent == "D-1"  # the id cell's first part
    rows.apply(json.dumps([["w", ["D-2"]]]))
    assert [tr.getAttribute("data-id") for tr in rows.body.children] == ["D-2"]


def test_edits_reach_their_part_and_a_flash_counts_only_for_a_shown_row(rows):
    rows.apply(json.dumps([["n", "D-1"], ["n", "D-2"], ["w", ["D-1"]],
                           ["t", "D-1", 4 * 1 + 1, "Ada"], ["a", "D-1", -1, "data-status", "assigned"],
                           ["c", "D-1", 4 * 1, "busy"], ["t", "D-9", 0, "no such row"],
                           ["f", "D-1"], ["f", "D-2"]]))
    tr = rows.node("D-1")
    assert tr.cells[1].firstChild.textContent == "Ada"
    assert tr.getAttribute("data-status") == "assigned" and tr.cells[1].className == "busy"
    assert rows.flashed == ["D-1"]
    rows.apply(json.dumps([["a", "D-1", -1, "data-status", None], ["x", "D-1"]]))
    assert rows.node("D-1") is None and tr.parentNode is None
    with pytest.raises(ValueError):
        rows.apply(json.dumps([["?", "D-2", 0]]))


def test_a_table_is_known_until_cleared(rows):
    assert rows in tables
    rows.clear()
    assert rows not in tables and rows.rows == {}


def test_the_map_canvas_puts_drops_and_links_marks():
    doc = Document()
    svg = doc.createElement("svg")
    layer, link = svg.appendChild(doc.createElement("g")), svg.appendChild(doc.createElement("line"))
    codes = {"put": "p", "drop": "d", "view": "v", "link": "l"}
    canvas = MapCanvas(svg, [("staff", layer)], link, json.dumps({"staff": ["g", {"class": "dot"}, [["circle"]]]}),
                       json.dumps(codes))
    canvas.apply(json.dumps([["p", "staff", "S-1", {"data-lat": 51.5}, {"0": {"r": 4}}, ["dot", 3, 4]],
                             ["v", "0 0 10 10"], ["l", 1, 2, 3, 4]]))
    mark = canvas.node("staff", "S-1")
    assert mark.parentNode is layer and mark.getAttribute("data-lat") == "51.5"
    assert mark.children[0].getAttribute("r") == "4" and canvas.painted[("staff", "S-1")] == ["dot", 3, 4]
    assert svg.getAttribute("viewBox") == "0 0 10 10" and link.getAttribute("x2") == "3"
    assert link.getAttribute("hidden") is None
    canvas.apply(json.dumps([["d", "staff", "S-1"], ["l", None]]))
    assert canvas.node("staff", "S-1") is None and mark.parentNode is None and link.getAttribute("hidden") == ""
    assert len(canvas.batches) == 2


def test_frames_wait_until_run():
    frames, ran = Frames(), []
    frames.nextFrame(lambda: ran.append(1))
    assert ran == []
    assert frames.run() == 1 and ran == [1] and frames.run() == 0
