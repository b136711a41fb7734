"""app/web/drafts.py: a half-typed message is set aside for its user and comes back to them alone."""

from app.web import drafts
from app.web.dom import el
from app.web.runtime import document, window


def form():
    node = el("form", {"data-testid": "comms-compose"},
              el("select", {"name": "to"}, el("option", {"value": "coordinators"}), el("option", {"value": "S-1"})),
              el("textarea", {"name": "body"}), el("input", {"name": "deliveryId"}))
    document.body.appendChild(node)
    return node


def test_a_draft_is_set_aside_and_restored_for_the_same_user_only():
    node = form()
    node.querySelector("[name=to]").value = "S-1"
    node.querySelector("[name=body]").value = "Half a thought"
    drafts.set_aside("U-1")
    assert node.querySelector("[name=body]").value == ""
    drafts.restore("U-2")
    assert node.querySelector("[name=body]").value == ""
    drafts.restore("U-1")
    assert node.querySelector("[name=body]").value == "Half a thought" and node.querySelector("[name=to]").value == "S-1"
    assert window.sessionStorage.getItem("dc.draft.U-1") is None
    node.remove()


def test_junk_in_storage_is_ignored():
    node = form()
    window.sessionStorage.setItem("dc.draft.U-3", "{not json")
    drafts.restore("U-3")
    window.sessionStorage.setItem("dc.draft.U-3", "[1, 2]")
    drafts.restore("U-3")
    assert node.querySelector("[name=body]").value == ""
    node.remove()
