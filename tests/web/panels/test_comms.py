"""app/web/panels/comms.py renders through the seam: the feed, the compose form, a refusal."""

from types import SimpleNamespace

from app.command import Accepted, Refused, RowStatus
from app.models import Communication
from app.web.fake_dom import Event
from app.web.panels.comms import CommsPanel
from app.web.panels.staff import StaffPanel
from app.web.runtime import document
from tests.web.fakes import FakeClient, context, delivery, publish, section, staff, turns


class CommsClient(FakeClient):
    def __init__(self):
        super().__init__([delivery(1)], [staff(1, "Ann")])
        self.messages = [self.message("C-1", "S-1", "Where is the van?")]
        self.commands_ = SimpleNamespace(sender="U-1")
        self.ready = True

    @property
    def commands(self):
        return self.commands_

    @commands.setter
    def commands(self, value):  # FakeClient records commands in a list of the same name
        self.sent = value

    @staticmethod
    def message(message_id, sender, body, delivery_id=None):
        return Communication(id=message_id, **{"from": sender}, to="coordinators", body=body,
                             sentAt="2026-11-26T10:00:00Z", deliveryId=delivery_id)

    def communications(self):
        return list(reversed(self.messages))

    def communication(self, communication_id):
        return next((m for m in self.messages if m.id == communication_id), None)

    def compose_status(self):
        return RowStatus()

    def send_message(self, to, body, delivery_id=None):
        if not body.strip():
            return Refused("invalid", "Write something first.")
        self.messages.append(self.message(f"C-{len(self.messages) + 1}", "U-1", body, delivery_id))
        return Accepted(f"c-{len(self.messages)}")


def feed_texts(panel) -> list[str]:
    return [row.querySelector("[data-field=body]").textContent
            for row in panel.feed.querySelectorAll("[data-testid=communication]")]


def submit(panel):
    panel.form.dispatchEvent(Event("submit", target=panel.form))


def test_the_feed_lists_messages_and_a_sent_one_arrives_at_once():
    client = CommsClient()
    ctx = context(client)
    panel = CommsPanel(section(), ctx).mount()
    turns()
    assert feed_texts(panel) == ["Where is the van?"]
    panel.body.value = "On its way"
    panel.delivery.value = "D-1"
    submit(panel)
    publish(ctx, communications={"C-2"})
    assert "On its way" in feed_texts(panel)
    client.messages.append(client.message("C-3", "S-1", "Thanks"))
    publish(ctx, communications={"C-3"})
    assert feed_texts(panel)[0] == "Thanks"
    panel._refresh_times()
    panel.unmount()


def test_a_refused_message_and_an_unknown_delivery_say_why():
    client = CommsClient()
    panel = CommsPanel(section(), context(client)).mount()
    panel.body.value = "  "
    submit(panel)
    assert not panel.error.hidden and panel.error_text.textContent == "Write something first."
    panel.form.dispatchEvent(Event("keydown", key="Escape"))
    assert panel.error.hidden
    panel.body.value = "About this one"
    panel.delivery.value = "D-404"
    submit(panel)
    assert panel.error_text.textContent == "There is no delivery D-404 on the board."
    panel.unmount()


def test_a_persons_detail_view_addresses_the_form_to_them_and_keeps_what_was_typed():
    client = CommsClient()
    ctx = context(client)
    staff_panel = StaffPanel(section(), ctx).mount()
    panel = CommsPanel(section(), ctx).mount()  # mounted after the staff panel, as on the page
    turns()
    panel.body.value = "Can you take"
    name = staff_panel.rows["S-1"].node.querySelector("button[data-action=open-staff]")
    name.dispatchEvent(Event("click", target=name))
    write = staff_panel.detail.node.querySelector("button[data-action=write-to]")
    assert not write.hidden and write.textContent == "Write to Ann"
    write.dispatchEvent(Event("click", target=write))
    assert not staff_panel.detail.showing
    assert str(panel.to.value) == "S-1" and document.activeElement is panel.body
    assert panel.body.value == "Can you take"
    panel.compose_to("S-404")  # nobody of that id: the form keeps its recipient
    assert str(panel.to.value) == "S-1"
    panel.unmount()
    assert "compose_to" not in ctx.notes
    staff_panel.open_detail("S-1")
    assert write.hidden  # no message form on the page: no button that does nothing


def test_write_to_someone_else_over_a_half_typed_text_says_so():
    client = CommsClient()
    client.put_staff(staff(2, "Bo"))
    ctx = context(client)
    panel = CommsPanel(section(), ctx).mount()
    turns()
    panel.compose_to("S-1")
    assert panel.error.hidden  # nothing typed: nothing to warn about
    panel.body.value = "Take D-1 next"
    panel.delivery.value = "D-1"
    panel.compose_to("S-1")
    assert panel.error.hidden  # the same person: nothing changed
    panel.compose_to("S-2")
    assert str(panel.to.value) == "S-2" and not panel.error.hidden
    assert panel.error_text.textContent == ("Your unsent text is now addressed to Bo (S-2), not Ann (S-1), and "
                                            "still names delivery D-1. Check it before you send.")
    assert panel.body.value == "Take D-1 next" and panel.delivery.value == "D-1"  # nothing lost
    panel.unmount()
