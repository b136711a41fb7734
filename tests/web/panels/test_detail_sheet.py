"""app/web/panels/detail_sheet.py through the seam: what every detail view shares (open, close, focus, the hub)."""

from datetime import datetime, timezone
from types import SimpleNamespace

from app.models import Communication
from app.store import Changes
from app.web.dom import el
from app.web.fake_dom import Event
from app.web.panels.detail_sheet import DetailSheet, person_label
from app.web.runtime import ProxyOwner, document
from tests.web.fakes import FakeClient, context, staff

NOW = datetime(2026, 11, 26, 11, 0, tzinfo=timezone.utc)


class ZoneSheet(DetailSheet):
    """The smallest sheet: one field, the messages that name the zone in their text."""

    kind = "zone"
    home = "zones-title"
    fields = (("name", "Name"),)

    def __init__(self, *args):
        self.redraws = 0
        super().__init__(*args)

    def wants(self, changes: Changes) -> bool:
        return self.item_id in changes.zones

    def redraw(self, messages: bool = True) -> None:
        self.redraws += 1
        self.fields["name"].textContent = self.client.zone(self.item_id).name
        if messages:
            self._draw_messages()

    def messages_of(self) -> list:
        return [c for c in self.client.communications() if self.item_id in c.body]


def sheet(client=None):
    client = client or FakeClient([], [staff(1, "Grace")])
    ctx = context(client)
    owner = ProxyOwner("sheet-test")

    def listen(node, event, handler):
        node.addEventListener(event, owner.proxy(handler))

    made = ZoneSheet(ctx, listen, lambda: (NOW, 0))
    document.body.appendChild(made.node)
    return made, ctx, client


def click(node):
    node.dispatchEvent(Event("click", target=node))


def test_hooks_are_named_for_the_kind_and_the_hub_is_heard_only_while_open():
    made, ctx, _ = sheet()
    assert made.node.getAttribute("data-testid") == "zone-detail"
    assert made.node.getAttribute("aria-labelledby") == "zone-detail-title" == made.title.getAttribute("id")
    assert made.messages.getAttribute("data-testid") == "zone-messages"
    assert ctx.hub.live == 0
    opener = el("button", text="open")
    document.body.appendChild(opener)
    made.open("Z-1", opener)
    assert made.showing and made.node.getAttribute("data-id") == "Z-1" and ctx.hub.live == 1
    assert made.fields["name"].textContent == "Harbour" and document.activeElement is made.close_button
    ctx.hub.publish(Changes(zones=frozenset({"Z-1"})))
    ctx.hub.publish(Changes(zones=frozenset({"Z-9"})))
    assert made.redraws == 2  # the opening draw and Z-1's change, not Z-9's
    made.open("Z-1", opener)  # open again on the same item: focus only, no redraw
    assert made.redraws == 2
    click(made.close_button)
    assert not made.showing and ctx.hub.live == 0 and document.activeElement is opener
    ctx.hub.publish(Changes(zones=frozenset({"Z-1"})))
    assert made.redraws == 2


def test_a_click_on_the_backdrop_closes_and_focus_goes_home_when_the_opener_has_left():
    made, _, _ = sheet()
    home = el("h2", {"id": "zones-title", "tabindex": "-1"})
    opener = el("button", text="open")
    document.body.appendChild(home)
    document.body.appendChild(opener)
    made.open("Z-1", opener)
    opener.remove()
    click(made.node)  # the dialog box itself, outside its content
    assert not made.showing and document.activeElement is home


def test_hand_over_closes_without_moving_focus_and_gives_the_opener_away():
    made, _, _ = sheet()
    opener = el("button", text="open")
    document.body.appendChild(opener)
    made.open("Z-1", opener)
    assert made.hand_over() is opener
    assert not made.showing and document.activeElement is made.close_button  # left for the next sheet to move


def test_messages_newest_first_as_text_and_people_by_name():
    client = FakeClient([], [staff(1, "Grace")])
    client.communications = lambda: [
        Communication(id="C-2", **{"from": "S-1"}, to="coordinators", body="Z-1 <b>is</b> busy",
                      sentAt="2026-11-26T10:01:00Z", deliveryId=None),
        Communication(id="C-1", **{"from": "S-9"}, to="S-1", body="nothing here", sentAt="2026-11-26T10:00:00Z",
                      deliveryId=None),
    ]
    made, _, _ = sheet(client)
    made.open("Z-1")
    items = made.messages.querySelectorAll("[data-testid=zone-message]")
    assert [i.getAttribute("data-id") for i in items] == ["C-2"] and made.no_messages.hidden
    assert items[0].querySelector("[data-field=from]").textContent == "Grace (S-1)"
    assert items[0].querySelector("[data-field=body]").textContent == "Z-1 <b>is</b> busy"
    assert items[0].querySelector("[data-field=sentAt]").textContent == "10:01"
    assert person_label(client, "coordinators") == "coordinators" and person_label(client, "S-9") == "S-9"
    client.commands = SimpleNamespace(sender="U-demo")  # the signed-in user, as the messages panel says
    assert person_label(client, "U-demo") == "You"
