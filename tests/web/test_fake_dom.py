"""app/web/fake_dom.py: the stand-in page behaves as the browser does where the shell relies on it.

If the fake drifts from the browser, tests/web pass while the page breaks;
these pin what the shell uses: selectors, bubbling, select values, text.
"""

import pytest

from app.web.fake_dom import Document, Event, create_once_callable, create_proxy


@pytest.fixture
def doc():
    return Document()


def tree(doc):
    table = doc.createElement("table")
    row = table.appendChild(doc.createElement("tr"))
    row.setAttribute("data-id", "D-1")
    row.className = "row late"
    cell = row.appendChild(doc.createElement("td"))
    cell.setAttribute("data-field", "eta")
    doc.body.appendChild(table)
    return table, row, cell


def test_selectors_compound_descendant_and_alternatives(doc):
    table, row, cell = tree(doc)
    assert table.querySelector("tr.late[data-id=D-1] td[data-field=eta]") is cell
    assert table.querySelector('tr[data-id="D-1"]') is row
    assert table.querySelectorAll("td, tr") == [row, cell]
    assert table.querySelector("tr.early") is None
    assert cell.closest("table") is table and cell.closest("section") is None
    with pytest.raises(ValueError, match="not supported"):
        table.querySelector("tr > td")


def test_events_bubble_to_the_root_and_remember_prevent_default(doc):
    table, row, cell = tree(doc)
    seen = []
    table.addEventListener("click", lambda event: seen.append(("table", event.target)))
    row.addEventListener("click", lambda event: event.preventDefault())
    assert cell.dispatchEvent(Event("click", target=cell)) is False
    assert seen == [("table", cell)]


def test_a_select_shows_the_chosen_option_and_nothing_for_an_unknown_value(doc):
    select = doc.createElement("select")
    for value in ("a", "b"):
        option = select.appendChild(doc.createElement("option"))
        option.setAttribute("value", value)
    assert select.value == "a"
    select.value = "b"
    assert select.value == "b"
    select.value = "zzz"
    assert select.value != "zzz"


def test_text_replaces_children_and_is_never_parsed(doc):
    _, row, cell = tree(doc)
    row.textContent = "<td>x</td>"
    assert row.children == [] and row.textContent == "<td>x</td>" and not cell.isConnected


def test_clone_is_deep_only_when_asked(doc):
    _, row, _ = tree(doc)
    assert row.cloneNode().children == [] and len(row.cloneNode(True).children) == 1
    assert row.cloneNode(True).getAttribute("data-id") == "D-1"


def test_a_destroyed_proxy_cannot_be_called(doc):
    calls = []
    proxy = create_proxy(calls.append)
    proxy(1)
    proxy.destroy()
    with pytest.raises(RuntimeError):
        proxy(2)
    once = create_once_callable(calls.append)
    once(3)
    assert calls == [1, 3]
