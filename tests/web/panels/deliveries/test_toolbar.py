"""app/web/panels/deliveries/toolbar.py: the controls show a Filters, the counts, and the choices of the page."""

from app.filters import UNASSIGNED, Filters, staff_choice
from app.web.dom import el
from app.web.panels.deliveries.toolbar import CHIPS, Toolbar, fill_options
from tests.web.fakes import section, staff, zone


def toolbar():
    root = section()
    return root, Toolbar(root, assignee_label=lambda value: f"label of {value}")


def heads():
    return {key: el("th", None, el("span", {"class": "sort-mark"})) for key in ("eta", "priority", "status")}


def test_sync_shows_the_filters_in_every_control_and_the_sort_in_the_heads():
    _, bar = toolbar()
    th = heads()
    bar.sync(Filters(status="pending", priority="urgent", query="mill", sort="priority", descending=True), th)
    assert str(bar.search.value) == "mill"
    assert [str(bar.selects[k].value) for k in ("status", "priority", "sort")] == ["pending", "urgent", "-priority"]
    assert th["priority"].getAttribute("aria-sort") == "descending"
    assert th["priority"].querySelector(".sort-mark").textContent == "↓"
    assert th["eta"].getAttribute("aria-sort") is None
    assert bar.chips["pending"].getAttribute("aria-pressed") == "true"
    assert bar.chips["open"].getAttribute("aria-pressed") == "false"
    assert not bar.clear_button.hidden, "a filter is on: Clear filters shows"
    bar.sync(Filters(), th)
    assert bar.clear_button.hidden


def test_a_zone_or_assignee_from_the_prefs_that_the_page_does_not_list_is_still_shown():
    _, bar = toolbar()
    bar.sync(Filters(zone="Z-gone", assignee=staff_choice("S-9")), heads())
    assert str(bar.selects["zone"].value) == "Z-gone"
    assert str(bar.selects["assignee"].value) == staff_choice("S-9")
    assert bar.selects["assignee"].querySelector("option").textContent == f"label of {staff_choice('S-9')}"


def test_counts_show_shown_of_total_each_chip_and_the_empty_note():
    _, bar = toolbar()
    note = el("p", {"hidden": True})
    bar.show_counts({"all": 300, "shown": 40, "pending": 12, "open": 200}, note)
    assert bar.count_text.textContent == "40 of 300 shown"
    assert (bar.count_text.getAttribute("data-shown"), bar.count_text.getAttribute("data-total")) == ("40", "300")
    assert bar.chips["pending"].getAttribute("data-count") == "12"
    assert bar.chips["late"].getAttribute("data-count") == "0"
    assert note.hidden
    bar.show_counts({"all": 300, "shown": 0}, note)
    assert not note.hidden
    bar.show_counts({"all": 300, "shown": 300}, note)
    assert bar.count_text.textContent == "300 deliveries" and note.hidden
    assert len(bar.chips) == len(CHIPS)


def test_zones_are_listed_by_name_with_their_id():
    _, bar = toolbar()
    bar.fill_zones([zone("Z-2", "Docks"), zone("Z-1", "Airport")], "Z-2")
    options = [(o.getAttribute("value"), o.textContent) for o in bar.selects["zone"].querySelectorAll("option")]
    assert options == [("", "All zones"), ("Z-1", "Airport (Z-1)"), ("Z-2", "Docks (Z-2)")]
    assert str(bar.selects["zone"].value) == "Z-2"


def test_assignees_are_filled_once_anyone_unassigned_then_people_by_name():
    _, bar = toolbar()
    bar.fill_assignees([staff(2, "Zoe"), staff(1, "Ada")])
    values = [o.getAttribute("value") for o in bar.selects["assignee"].querySelectorAll("option")]
    assert values == ["", UNASSIGNED, staff_choice("S-1"), staff_choice("S-2")]
    bar.fill_assignees([staff(3, "Bo")])  # filled already: kept
    assert len(bar.selects["assignee"].querySelectorAll("option")) == 4


def test_fill_options_replaces_the_options_and_picks_the_current():
    select = el("select", None, el("option", {"value": "old"}))
    fill_options(select, [("a", "A"), ("b", "B")], "b")
    assert [o.getAttribute("value") for o in select.querySelectorAll("option")] == ["a", "b"]
    assert str(select.value) == "b"


def test_while_matches_are_counted_the_count_says_so_and_the_empty_note_waits():
    _, bar = toolbar()
    note = el("p", {"hidden": True})
    bar.show_counts({"all": 300, "shown": None}, note)
    assert bar.count_text.textContent == "Counting the matches of 300…"
    assert bar.count_text.getAttribute("data-shown") is None and bar.count_text.getAttribute("aria-busy") == "true"
    assert note.hidden
    bar.show_counts({"all": 300, "shown": 0}, note)
    assert bar.count_text.getAttribute("data-shown") == "0" and bar.count_text.getAttribute("aria-busy") is None
    assert not note.hidden
