"""app/web/panels/deliveries/assign.py: the ARIA 1.2 combobox, driven by its own events without a panel."""

from app.web.dom import el
from app.web.fake_dom import Event
from app.web.panels.deliveries.assign import LISTBOX_ID, AssignBox, is_assign_input
from tests.web.fakes import FakeClient, section, staff


def box_with_rows(*row_ids, members=None):
    """A root holding one row per id, each with its combobox input; the box listening on the root."""
    root = section()
    for row_id in row_ids:
        root.appendChild(el("tr", {"data-testid": "delivery-row", "data-id": row_id},
                            el("td", None, el("input", {"data-action": "assign", "role": "combobox",
                                                        "data-value": ""}))))
    client = FakeClient([], members if members is not None else
                        [staff(1, "Grace Okafor"), staff(2, "Dev Silva", zone="Z-2"), staff(3, "Ada Brooks")])
    picked = []

    def listen(node, event, handler):
        node.addEventListener(event, handler)

    box = AssignBox(listen, root, client, lambda: {"Z-1": "Harbour", "Z-2": "Docks"},
                    lambda delivery_id, staff_id: picked.append((delivery_id, staff_id)))
    return root, box, picked


def combobox(root, row_id):
    return root.querySelector(f"[data-id={row_id}] input")


def send(node, type_, **fields):
    node.dispatchEvent(Event(type_, target=node, **fields))


def options(box):
    return [option.getAttribute("data-value") for option in box.listbox.children]


def test_focus_opens_one_shared_list_in_that_row_unassigned_first_then_by_name():
    root, box, _ = box_with_rows("D-1", "D-2")
    send(combobox(root, "D-1"), "focusin")
    assert not box.listbox.hidden and combobox(root, "D-1").getAttribute("aria-expanded") == "true"
    assert options(box) == ["", "S-3", "S-2", "S-1"]
    assert box.listbox.closest("[data-id]").getAttribute("data-id") == "D-1"
    assert root.querySelector("[data-id=D-1]").hasAttribute("data-choosing")
    send(combobox(root, "D-2"), "focusin")  # another row: the same list moves there
    assert len(root.querySelectorAll(f"#{LISTBOX_ID}")) == 1
    assert box.listbox.closest("[data-id]").getAttribute("data-id") == "D-2"
    assert combobox(root, "D-1").getAttribute("aria-expanded") == "false"


def test_typing_filters_by_id_name_or_zone_and_activates_the_first():
    root, box, _ = box_with_rows("D-1")
    node = combobox(root, "D-1")
    send(node, "focusin")
    node.value = "docks"
    send(node, "input")
    assert options(box) == ["S-2"]
    assert node.getAttribute("aria-activedescendant") == f"{LISTBOX_ID}-0"


def test_arrows_wrap_around_and_enter_picks_the_active_one():
    root, box, picked = box_with_rows("D-1")
    node = combobox(root, "D-1")
    send(node, "keydown", key="ArrowUp")  # opens, and goes to the last
    assert box.active == len(box.values) - 1
    send(node, "keydown", key="ArrowDown")  # wraps to the first: Unassigned
    assert box.active == 0 and box.listbox.children[0].getAttribute("aria-selected") == "true"
    send(node, "keydown", key="Enter")
    assert picked == [("D-1", None)] and box.listbox.hidden and box.input is None


def test_a_click_on_an_option_picks_it_and_escape_or_leaving_closes_without_picking():
    root, box, picked = box_with_rows("D-1")
    node = combobox(root, "D-1")
    send(node, "focusin")
    option = box.listbox.querySelector("[data-value=S-1]")
    option.dispatchEvent(Event("click", target=option))
    assert picked == [("D-1", "S-1")]
    send(node, "focusin")
    send(node, "keydown", key="Escape")
    assert box.listbox.hidden and node.value == ""
    send(node, "focusin")
    send(node, "focusout")
    assert box.listbox.hidden and picked == [("D-1", "S-1")]


def test_only_the_assign_input_is_a_combobox():
    assert is_assign_input(el("input", {"data-action": "assign"}))
    assert not is_assign_input(el("input", {"data-action": "search"}))
    assert not is_assign_input(el("div", {"data-action": "assign"}))
    assert not is_assign_input(None)
