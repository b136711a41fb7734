"""app/board_views.py: what panels read, confirmed state with the user's unconfirmed changes laid over it."""

from __future__ import annotations

from tests.fake_shell import connect, delivery, new_client, snapshot, staff

T0 = "2026-11-26T10:00:00Z"


def message(cid: str, sent_at: str) -> dict:
    return {"id": cid, "from": "S-1", "to": "coordinators", "body": f"body {cid}", "sentAt": sent_at,
            "deliveryId": None}


def client_with(**kw):
    """A client in sync with a snapshot made of ``kw`` (tests.fake_shell.snapshot's arguments)."""
    client, shell, _ = new_client()
    connect(client, shell)
    shell.answer(shell.request("/snapshot"), 200, snapshot(10, **kw))
    shell.drain()
    assert client.ready
    return client, shell


def test_a_delivery_shows_the_users_change_at_once_and_marks_its_row_pending():
    client, shell = client_with(deliveries=[delivery("D-1"), delivery("D-2")])
    client.set_status("D-1", "delivered")
    shell.drain()
    assert client.delivery("D-1").status == "delivered" and client.row_status("D-1").pending
    assert client.store.deliveries["D-1"].status == "assigned", "confirmed state is untouched"
    assert {d.id: d.status for d in client.deliveries()} == {"D-1": "delivered", "D-2": "assigned"}
    assert not client.row_status("D-2").pending
    assert client.delivery("D-404") is None


def test_staff_and_zones_are_the_confirmed_ones():
    zone = {"id": "Z-1", "name": "Harbour", "status": "open", "activeDeliveries": 1, "availableStaff": 2}
    client, _ = client_with(staff_=[staff("S-1"), staff("S-2", "offline")], zones=[zone])
    assert client.staff_member("S-2").status == "offline" and client.staff_member("S-9") is None
    assert [m.id for m in client.staff()] == ["S-1", "S-2"]
    assert client.zone("Z-1").name == "Harbour" and [z.id for z in client.zones()] == ["Z-1"]


def test_messages_being_sent_come_first_then_the_confirmed_ones_newest_first():
    client, shell = client_with(comms=[message("C-1", "2026-11-26T09:00:00Z"), message("C-2", T0)])
    client.send_message("all", "on my way")
    shell.drain()
    listed = client.communications()
    assert [c.body for c in listed] == ["on my way", "body C-2", "body C-1"]
    sending = listed[0]
    assert client.communication_pending(sending.id) and client.communication(sending.id) == sending
    assert client.compose_status().pending
    assert not client.communication_pending("C-2") and client.communication("C-2").body == "body C-2"
    assert client.communication("C-404") is None


def test_the_open_work_index_follows_every_render_and_names_what_it_touched():
    """One index for every panel (``client.work``): each Render names the people whose open work
    changed (``carriers``) and the zones whose waiting count did (``waiting``), for events and for the
    user's own unconfirmed change and its rollback; it always equals one built from scratch."""
    from app.roster import OpenWork
    from tests.fake_shell import du

    client, shell = client_with(deliveries=[delivery("D-1", status="pending", assignedTo=None),
                                            delivery("D-2", status="assigned", assignedTo="S-1"),
                                            delivery("D-3", status="in_transit", assignedTo="S-2", zoneId="Z-2")],
                                staff_=[staff("S-1"), staff("S-2")])

    def render():
        shell.renders.clear()
        shell.drain()
        [changes] = shell.renders
        fresh = OpenWork()
        fresh.reset(client.deliveries())
        for person in ("S-1", "S-2", "S-3"):
            assert client.work.current(person) == fresh.current(person), person
            assert client.work.carried_by(person) == fresh.carried_by(person), person
        for zone in ("Z-1", "Z-2"):
            assert client.work.pending_in(zone) == fresh.pending_in(zone), zone
        return changes.carriers, changes.waiting

    assert client.work.current("S-1") == "D-2" and client.work.pending_in("Z-1") == 1
    client.socket_message(du(11, "D-1", status="assigned", assignedTo="S-1"))  # waits no more; S-1 has two
    assert render() == ({"S-1"}, {"Z-1"})
    client.socket_message(du(12, "D-2", customer="Mia"))  # nothing a carrier's row shows
    assert render() == (set(), set())
    client.socket_message(du(13, "D-3", assignedTo="S-1"))  # moves from S-2 to S-1, and is current there
    assert render() == ({"S-1", "S-2"}, set())
    client.set_status("D-3", "delivered")  # the user's change, not confirmed yet: S-1 carries two again
    assert render() == ({"S-1"}, set())
    [request] = [r for r in shell.http.values() if r.method == "PATCH"]
    shell.answer(request, 409, "")  # refused: rolled back
    assert render() == ({"S-1"}, set())
    assert client.work.current("S-1") == "D-3"
