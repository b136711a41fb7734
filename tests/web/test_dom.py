"""app/web/dom.py: elements built with attributes and text, never parsed markup."""

from app.web.dom import by_id, clear, el, set_field
from app.web.runtime import document


def test_el_sets_attributes_text_and_children_and_skips_none_and_false():
    node = el("tr", {"data-id": "D-1", "hidden": True, "disabled": False, "title": None, "data-n": 3},
              el("td", text="a"), None, el("td", text="b"))
    assert node.getAttribute("data-id") == "D-1" and node.getAttribute("data-n") == "3"
    assert node.getAttribute("hidden") == "" and node.getAttribute("disabled") is None
    assert node.getAttribute("title") is None
    assert [cell.textContent for cell in node.children] == ["a", "b"]


def test_text_that_looks_like_markup_stays_text():
    node = el("p", text="<b>bold</b>")
    assert node.textContent == "<b>bold</b>" and len(node.children) == 0


def test_set_field_keeps_the_raw_value_apart_from_the_words():
    cell = el("td", {"data-field": "status"})
    set_field(cell, "in_transit", "In transit")
    assert (cell.getAttribute("data-value"), cell.textContent) == ("in_transit", "In transit")
    set_field(cell, None)
    assert (cell.getAttribute("data-value"), cell.textContent) == ("", "")


def test_clear_removes_every_child_and_by_id_finds_an_element_in_the_page():
    holder = el("div", {"id": "dom-test-holder"}, el("span"), el("span"))
    document.body.appendChild(holder)
    assert by_id("dom-test-holder") is holder
    clear(holder)
    assert len(holder.children) == 0
    holder.remove()
